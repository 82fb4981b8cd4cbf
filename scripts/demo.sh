#!/usr/bin/env bash
# make demo: synthesise a small dataset, run a real embedded sweep on CPU, print the leaderboard.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "make demo: not yet — the orchestrator (issue: sweeps, trials, leaderboard) has not landed."
