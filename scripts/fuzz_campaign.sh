#!/usr/bin/env bash
# The long differential-fuzzing run (issue 9): successive `specc fuzz` runs with distinct
# seeds, each line of the log one run (its seed, commit and report), so a campaign spread
# over several sessions or machines adds up. Divergences are saved under $OUT/found.
#   scripts/fuzz_campaign.sh [FIRST_SEED] [RUNS] [SECONDS_PER_RUN]
#   scripts/fuzz_campaign.sh --total      # programs, specs and divergences over the whole log
# (SPECC_FUZZ_BACKENDS overrides the backends, in `specc fuzz --backends` form)
set -uo pipefail
OUT="${SPECC_FUZZ_CAMPAIGN:-$HOME/.cache/specc/fuzz-campaign}"
LOG="$OUT/log.txt"
mkdir -p "$OUT/found"
if [[ "${1:-}" == "--total" ]]; then
    # one summary line per run ("specc fuzz: N programs in M specs (A actions), ..."), wherever it sits in the
    # run's lines. Runs before "(A actions)" was reported counted one program per action (one or two inputs
    # each); since, a program is one action run from one input (--inputs per seed): both sums are given.
    awk '/specc fuzz: [0-9]+ programs in/ {runs++; match($0, /[0-9]+ programs in [0-9]+ specs/);
        split(substr($0, RSTART, RLENGTH), f, " "); s += f[4];
        if (match($0, /[(][0-9]+ actions[)]/)) {p += f[1]; a += substr($0, RSTART + 1, RLENGTH - 1) + 0; m++}
        else {old += f[1]; a += f[1]}
        match($0, /[0-9]+ divergence/); d += substr($0, RSTART, RLENGTH) + 0}
        END {printf "%d runs: %d specs, %d actions, %d divergence kind(s); %d programs (one input each) in " \
             "the %d runs that count inputs, %d programs (one per action) before\n", runs, s, a, d, p, m, old}' "$LOG"
    exit 0
fi
# every backend against the reference: JAX (vmapped each spec, jitted every 2nd, eager every 4th) and C
BACKENDS="${SPECC_FUZZ_BACKENDS:-jax-vmap,jax-jit:2,jax-eager:4,c}"
seed="${1:-1000}"
runs="${2:-1000000}"
seconds="${3:-1200}"
command -v specc > /dev/null || { echo "fuzz_campaign.sh: specc is not on PATH (activate the venv)" >&2; exit 2; }
commit="$(git -C "$(dirname "$0")/.." rev-parse --short HEAD)"
for ((i = 0; i < runs; i++, seed++)); do
    report="$(specc fuzz --time "$seconds" --seed "$seed" --max-actions 24 --backends "$BACKENDS" --out "$OUT/found" 2>&1)"
    echo "seed $seed commit $commit $(date -u +%FT%TZ): $(echo "$report" | grep -m1 '^specc fuzz:')" >> "$LOG"
    echo "$report" | grep -v '^specc fuzz:' | grep -v '^  \.\. ' | sed 's/^/    /' >> "$LOG"
done
