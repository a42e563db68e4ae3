#!/usr/bin/env bash
# The main job: compile the shipped specs; verify the flagship (specs/tcg.yaml) at
# levels 1-3 on both backends; test-play the board games and CartPole in lock-step against
# their peers (Pgx, gymnax); then benchmark each, the batch split over the machine's cores.
set -euo pipefail
cd "$(dirname "$0")/.."

# one device per core (a power of two, so the batch sizes below split evenly)
DEVICES=${DEVICES:-$(python -c "import os; n = os.cpu_count() or 1; print(min(1 << (n.bit_length() - 1), 64))")}

specc compile specs/*.yaml
specc verify specs/tcg.yaml --level 1-3 --episodes "${TCG_EPISODES:-1000}"
python -m pytest -q tests/test_equivalence.py
specc bench specs/tic_tac_toe.yaml --vs pgx:tic_tac_toe --batch 64,1024 --devices "$DEVICES"
specc bench specs/connect_four.yaml --vs pgx:connect_four --batch 64,1024 --devices "$DEVICES"
specc bench specs/cartpole.yaml --vs gymnax:CartPole-v1 --batch 64,1024 --devices "$DEVICES"
specc bench specs/tcg.yaml --batch 256,4096 --devices "$DEVICES"
