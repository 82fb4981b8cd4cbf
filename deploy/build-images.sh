#!/usr/bin/env bash
# Builds the YoloSweep images from the repository root, one per deploy/<name>/Dockerfile, as
# ${REGISTRY}/yolosweep/<name>:${TAG} (no registry prefix when REGISTRY is empty), and pushes them with --push.
#   TAG=dev deploy/build-images.sh silo trainer-cpu                 # local images for overlays/dev
#   REGISTRY=registry.example.com TAG=0.1.0 deploy/build-images.sh --push   # all images for overlays/gpu
# The names are the ones k8s/ uses (tests/Deploy.Tests checks that they agree).
set -euo pipefail
cd "$(dirname "$0")/.."
REGISTRY="${REGISTRY:-}"
TAG="${TAG:-latest}"
push=false
names=()
for arg in "$@"; do
  case "$arg" in
    --push) push=true ;;
    -*) echo "unknown option: $arg (usage: [REGISTRY=..] [TAG=..] $0 [--push] [image ...])" >&2; exit 2 ;;
    *) names+=("$arg") ;;
  esac
done
if [ ${#names[@]} -eq 0 ]; then
  for f in deploy/*/Dockerfile; do names+=("$(basename "$(dirname "$f")")"); done
fi
for name in "${names[@]}"; do
  [ -f "deploy/$name/Dockerfile" ] || { echo "no image '$name': there is no deploy/$name/Dockerfile" >&2; exit 2; }
  ref="${REGISTRY:+$REGISTRY/}yolosweep/$name:$TAG"
  echo "== $ref"
  docker build -f "deploy/$name/Dockerfile" -t "$ref" .
  if $push; then docker push "$ref"; fi
done
