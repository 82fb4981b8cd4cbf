#!/bin/bash
# BENCHMARKS.md "Latency repeatability": runs bench/Latency/repeatability.yaml (yolov8n, 64 px, 3 epochs, seeds 0 and 1)
# on two CPU slots of this host with the built CLI, then prints both trials' latency figures as the database holds
# them, their ratio and the load average before and after. Extra arguments are environment settings for the run, e.g.
# YOLOSWEEP_LATENCY_THREADS=1, or YOLOSWEEP_HOST_LOCK=/nonexistent/x (an unusable lock file: no lock, the control).
set -euo pipefail
cd "$(dirname "$0")/../.."
YS="dotnet src/Client/bin/Release/net10.0/yolosweep.dll"
shared=runs/latbench/shared
[ -f $shared/data/shapes-64/data.yaml ] || $YS data synth --out $shared/data/shapes-64 --train 256 --val 64 --imgsz 64 >/dev/null
rm -rf runs/latbench/latency-repeatability $shared/checkpoints/latency-repeatability   # a fresh sweep, not a resumed one
l0=$(cut -d' ' -f1 /proc/loadavg)
env YOLOSWEEP_SHARED_DIR=$shared "$@" $YS run bench/Latency/repeatability.yaml --runs runs/latbench --devices cpu:2 --format md >runs/latbench/run.out 2>&1
l1=$(cut -d' ' -f1 /proc/loadavg)
python3 - "$l0" "$l1" <<'PY'
import sqlite3, sys
rows = sqlite3.connect('runs/latbench/latency-repeatability/yolosweep.db').execute(
    "SELECT seed, m_latency_ms, m_latency_iqr_ms, m_latency_threads, m_latency_runs, m_latency_imgsz, m_latency_device FROM trials ORDER BY seed").fetchall()
for r in rows: print('seed %d: latency %.2f ms, IQR %.2f ms (%d threads, %d runs, %d px, %s)' % r)
a, b = rows[0][1], rows[1][1]
print('ratio %.3f (%.1f %% apart); load average %s -> %s' % (max(a, b) / min(a, b), 100 * (max(a, b) / min(a, b) - 1), *sys.argv[1:]))
PY
grep -h "host lock" $shared/checkpoints/latency-repeatability/*/train.log | cut -c12-150
