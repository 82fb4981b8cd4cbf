#!/usr/bin/env bash
# Batch-1 latency of every zoo model, two builds side by side on the same machine, runs interleaved (old, new, new,
# old, … per model) so shared-CPU load hits both alike. Prints each run and the median per model and build.
# usage: bench/Models/compare.sh OLD_CHECKOUT NEW_CHECKOUT [scale] [size] [rounds]
#        (each checkout built with: dotnet build bench/Models -c Release; libys_torch.so in its build/native)
set -euo pipefail
old=$1 new=$2 scale=${3:-n} size=${4:-320} rounds=${5:-2}
dll=bench/Models/bin/Release/net10.0/YoloSweep.Bench.Models.dll
models="yolov5 yolov5-c3faster yolov5-akconv yolov5-effnetv2 yolov5-efficientvit yolov8 yolov8-dsconv yolov10 yolov10-dsconv"
out=$(mktemp)
run() { (cd "$1" && dotnet "$dll" --models "$3" --scales "$scale" --sizes "$size" --runs 5 | awk -v b="$2" -F'|' '/^\| yolo/ {gsub(/ /,"",$2); gsub(/ /,"",$7); print b, $2, $7}') | tee -a "$out"; }
for r in $(seq 1 "$rounds"); do
  for m in $models; do
    if (( r % 2 )); then run "$old" old "$m"; run "$new" new "$m"; else run "$new" new "$m"; run "$old" old "$m"; fi
  done
done
python3 - "$out" "$size" <<'PY'
import sys, statistics, collections
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    b, m, ms = line.split(); runs[(m, b)].append(float(ms))
print(f"\n| model | old ms (runs) | new ms (runs) | old / new |\n|---|---:|---:|---:|")
for m in dict.fromkeys(k[0] for k in runs):
    o, n = statistics.median(runs[(m, "old")]), statistics.median(runs[(m, "new")])
    print(f"| {m} | {o:.0f} ({', '.join(f'{v:.0f}' for v in runs[(m, 'old')])}) | {n:.0f} ({', '.join(f'{v:.0f}' for v in runs[(m, 'new')])}) | {o / n:.1f}× |")
PY
