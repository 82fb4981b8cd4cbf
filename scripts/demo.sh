#!/usr/bin/env bash
# make demo: synthesise a small dataset, run an embedded sweep on CPU, print the leaderboard.
# configs/sweeps/demo.yaml selects the executor: with `simulate:` under train it sleeps (until the libtorch trainer
# lands); without it, it trains for real on the synthesised shapes dataset.
set -euo pipefail
cd "$(dirname "$0")/.."
YS=bin/yolosweep
[ -x "$YS" ] || { echo "demo: $YS missing; run make build first" >&2; exit 1; }
RUNS=${RUNS:-runs}
SHARED="$RUNS/shared"

# The dataset: `data synth` comes with the trainer; sweeps resolve `data:` against the shared folder.
if "$YS" --help | grep -qE "^  data( |$)"; then
  if [ ! -f "$SHARED/data/shapes/shapes.yaml" ]; then
    echo "== synthesising the shapes dataset into $SHARED/data/shapes"
    "$YS" data synth --out "$SHARED/data/shapes"
  fi
else
  echo "== (no 'data synth' command in this build: the demo sweep runs simulated training)"
fi

# A fresh run each time (the sweep would otherwise resume the previous one and finish at once).
rm -rf "$RUNS/demo" "$SHARED/checkpoints/demo"
echo "== running configs/sweeps/demo.yaml (embedded Silo + trainer, ${DEVICES:-cpu:2})"
YOLOSWEEP_SHARED_DIR="$SHARED" "$YS" run configs/sweeps/demo.yaml --runs "$RUNS" --devices "${DEVICES:-cpu:2}"
