#!/usr/bin/env bash
# make demo: synthesise a small dataset, run a real embedded sweep on CPU (configs/sweeps/demo.yaml), print the
# leaderboard.
set -euo pipefail
cd "$(dirname "$0")/.."
YS=bin/yolosweep
[ -x "$YS" ] || { echo "demo: $YS missing; run make build first" >&2; exit 1; }
RUNS=${RUNS:-runs}
SHARED="$RUNS/shared"

# The dataset, written once; sweeps resolve a relative `data:` against the shared folder.
if [ ! -f "$SHARED/data/shapes-demo-128/data.yaml" ]; then
  echo "== synthesising the shapes dataset into $SHARED/data/shapes-demo-128"
  "$YS" data synth --out "$SHARED/data/shapes-demo-128" --train 256 --val 64 --imgsz 128
fi

# A fresh run each time (the sweep would otherwise resume the previous one and finish at once).
rm -rf "$RUNS/demo" "$SHARED/checkpoints/demo"
echo "== running configs/sweeps/demo.yaml (embedded Silo + trainer, ${DEVICES:-cpu:2})"
# CPU trials run side by side, one per slot: one libtorch thread each (the trial processes inherit this) instead of
# every trial spawning a thread per core.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
YOLOSWEEP_SHARED_DIR="$SHARED" "$YS" run configs/sweeps/demo.yaml --runs "$RUNS" --devices "${DEVICES:-cpu:2}"
