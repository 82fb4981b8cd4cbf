#!/usr/bin/env bash
# Training step (batch 16, 320 px, forward + loss + backward + SGD step; median of YS_STEPS) of yolov5n and yolov8n,
# two builds side by side, runs interleaved so shared-CPU load hits both alike.
# usage: bench/Trainer/compare.sh OLD_CHECKOUT NEW_CHECKOUT [rounds]   (each built with dotnet build bench/Trainer -c Release)
set -euo pipefail
old=$1 new=$2 rounds=${3:-2}
dll=bench/Trainer/bin/Release/net10.0/YoloSweep.Trainer.Bench.dll
run() { (cd "$1" && YS_STEPS=${YS_STEPS:-10} dotnet "$dll" step "$3" n 3 16 320 | sed "s/^/$2 /"); }
for r in $(seq 1 "$rounds"); do
  for m in yolov5 yolov8; do
    if (( r % 2 )); then run "$old" old "$m"; run "$new" new "$m"; else run "$new" new "$m"; run "$old" old "$m"; fi
  done
done
