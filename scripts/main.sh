#!/usr/bin/env bash
# The main job: compile the shipped specs, test-play them in lock-step on both
# backends and against their peers (Pgx, gymnax), then benchmark each.
set -euo pipefail
cd "$(dirname "$0")/.."

specc compile specs/*.yaml
python -m pytest -q tests/test_equivalence.py
specc bench specs/tic_tac_toe.yaml --vs pgx:tic_tac_toe --batch 1,64,1024
specc bench specs/connect_four.yaml --vs pgx:connect_four --batch 1,64,1024
specc bench specs/cartpole.yaml --vs gymnax:CartPole-v1 --batch 1,64,1024
