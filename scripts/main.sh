#!/usr/bin/env bash
# The main job: compile the shipped specs; verify the flagship (specs/tcg.yaml) at
# levels 1-3 on both backends; test-play the board games and CartPole in lock-step against
# their peers (Pgx, gymnax); then benchmark each, the batch split over the machine's cores.
# Each step is named as it starts ("[2/7] verify specs/tcg.yaml ..."); a summary ends it.
# Reports go to reports/ (REPORTS=...), the throughput plot of the flagship too.
set -uo pipefail
cd "$(dirname "$0")/.."

# one device per core (a power of two, so the batch sizes below split evenly)
DEVICES=${DEVICES:-$(python -c "import os; n = os.cpu_count() or 1; print(min(1 << (n.bit_length() - 1), 64))")}
REPORTS=${REPORTS:-reports}
mkdir -p "$REPORTS"
STEPS_FILE=$(mktemp)
trap 'rm -f "$STEPS_FILE"' EXIT
TOTAL=7
N=0

# step NAME COMMAND...: announce, run, time and record it; the job stops at the first failure
step() {
    local name=$1
    shift
    N=$((N + 1))
    echo
    echo "[$N/$TOTAL] $name ..."
    local start=$SECONDS status=ok
    "$@" || status=failed
    printf '%s\t%s\t%s\n' "$name" "$status" "$((SECONDS - start))" >>"$STEPS_FILE"
    echo "[$N/$TOTAL] $name: $status in $((SECONDS - start)) s"
    if [ "$status" != ok ]; then
        finish
        exit 1
    fi
}

finish() {
    echo
    python -m specc.summary "$STEPS_FILE" "$REPORTS/verify_tcg.json" "$REPORTS"/bench_*.json \
        "$REPORTS/bench_tcg.png"
}

rm -f "$REPORTS"/bench_*.json
step "compile specs/*.yaml" specc compile specs/*.yaml
step "verify specs/tcg.yaml, levels 1-3" specc verify specs/tcg.yaml --level 1-3 \
    --episodes "${TCG_EPISODES:-1000}" --report "$REPORTS/verify_tcg.json"
step "lock-step against Pgx and gymnax (tests/test_equivalence.py)" python -m pytest -q tests/test_equivalence.py
step "bench tic-tac-toe vs Pgx" specc bench specs/tic_tac_toe.yaml --vs pgx:tic_tac_toe --batch 64,1024 \
    --devices "$DEVICES" --report "$REPORTS/bench_tic_tac_toe.json"
step "bench connect four vs Pgx" specc bench specs/connect_four.yaml --vs pgx:connect_four --batch 64,1024 \
    --devices "$DEVICES" --report "$REPORTS/bench_connect_four.json"
step "bench CartPole vs gymnax" specc bench specs/cartpole.yaml --vs gymnax:CartPole-v1 --batch 64,1024 \
    --devices "$DEVICES" --report "$REPORTS/bench_cartpole.json"
step "bench tcg" specc bench specs/tcg.yaml --batch 256,4096 --devices "$DEVICES" \
    --report "$REPORTS/bench_tcg.json" --plot "$REPORTS/bench_tcg.png"
finish
