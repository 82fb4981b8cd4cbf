#!/usr/bin/env bash
# make demo: synthesise a small dataset, run an embedded sweep on CPU, print the leaderboard.
# configs/sweeps/demo.yaml trains for real on the synthesised shapes dataset (with `simulate:` under train it would
# only sleep and report deterministic fake metrics).
set -euo pipefail
cd "$(dirname "$0")/.."
YS=bin/yolosweep
[ -x "$YS" ] || { echo "demo: $YS missing; run make build first" >&2; exit 1; }
RUNS=${RUNS:-runs}
SHARED="$RUNS/shared"

# The dataset: `data synth` comes with the trainer; sweeps resolve `data:` against the shared folder.
if "$YS" data synth --help >/dev/null 2>&1; then
  if [ ! -f "$SHARED/data/shapes-demo/data.yaml" ]; then
    echo "== synthesising the shapes dataset into $SHARED/data/shapes-demo"
    "$YS" data synth --out "$SHARED/data/shapes-demo" --train 256 --val 64 --imgsz 96
  fi
else
  echo "== (no 'data synth' command in this build: the demo sweep runs simulated training)"
fi

# A fresh run each time (the sweep would otherwise resume the previous one and finish at once).
rm -rf "$RUNS/demo" "$SHARED/checkpoints/demo"
echo "== running configs/sweeps/demo.yaml (embedded Silo + trainer, ${DEVICES:-cpu:2})"
# CPU trials run side by side, one per slot: one libtorch thread each (the trial processes inherit this) instead of
# every trial spawning a thread per core.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
YOLOSWEEP_SHARED_DIR="$SHARED" "$YS" run configs/sweeps/demo.yaml --runs "$RUNS" --devices "${DEVICES:-cpu:2}"
