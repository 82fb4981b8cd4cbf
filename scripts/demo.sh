#!/usr/bin/env bash
# make demo: synthesise a small dataset, run a real embedded sweep on CPU (configs/sweeps/demo.yaml), print the
# leaderboard, write the ablation report and say where the report and the dashboard are.
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
# A failed trial is reported in the table and the report; the demo still writes them.
status=0
YOLOSWEEP_SHARED_DIR="$SHARED" "$YS" run configs/sweeps/demo.yaml --runs "$RUNS" --devices "${DEVICES:-cpu:2}" || status=$?
[ "$status" -eq 130 ] && exit 130   # interrupted: nothing to report yet

# The answer in a form to keep and share: the ablation report (verdicts, CIs, plots, failed trials, the sweep file).
"$YS" report --db "$RUNS/demo/yolosweep.db" --sweep demo --out "$RUNS/demo/report.html"
"$YS" report --db "$RUNS/demo/yolosweep.db" --sweep demo --out "$RUNS/demo/report.md" 2>/dev/null
echo "== report:    $RUNS/demo/report.html (and report.md with its figures in report_files/)"
echo "== dashboard: $YS dashboard --db $RUNS/demo/yolosweep.db   (then open http://127.0.0.1:8080/)"
exit "$status"
