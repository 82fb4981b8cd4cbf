#!/usr/bin/env bash
# mAP benchmark: yolov8n and yolov5n on an 800/200 synth set at 128 px, 30 epochs, CPU, one thread each, side by side.
cd "$(dirname "$0")/../.."
export OMP_NUM_THREADS=1
date -u
bin/yolosweep data synth --out ${OUT:-/tmp/ys-map}/data --train 800 --val 200 --imgsz 128 --seed 0
for m in yolov8 yolov5; do
  ( s=$(date +%s); bin/yolosweep train --model $m --scale n --data ${OUT:-/tmp/ys-map}/data/data.yaml --epochs 30 --imgsz 128 --batch 16 --project ${OUT:-/tmp/ys-map}/$m-n > ${OUT:-/tmp/ys-map}/$m.log 2>&1; echo "$m-n exit $? wall $(( $(date +%s) - s )) s" >> ${OUT:-/tmp/ys-map}/summary.txt ) &
done
wait
date -u >> ${OUT:-/tmp/ys-map}/summary.txt
