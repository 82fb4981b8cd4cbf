# YoloSweep build. `make demo` and `make test` are all a newcomer needs on a fresh Debian machine with
# the .NET 10 SDK, g++ and cmake: everything else is installed here.
SHELL := /bin/bash
ROOT := $(CURDIR)
CONFIG ?= Release
NATIVE_DIR := $(ROOT)/build/native
# Another libtorch (e.g. a CUDA one from a PyTorch install): make native TORCH_CMAKE_PREFIX=/path/to/share/cmake
TORCH_CMAKE_PREFIX ?=
# libopenblas0-openmp: the BLAS real runs load (src/Torch/Blas.cs); the tests pin the reference BLAS (libblas3, a
# libtorch dependency) through tests/reference-blas.runsettings.
# chromium: the headless browser tests/Dashboard.Tests drive (Playwright, never a downloaded browser).
APT_PACKAGES := libtorch-dev libopenblas0-openmp libpng-dev libturbojpeg0-dev pkg-config postgresql chromium
# The text of the run plots (results.png, curves, batch images): ScottPlot/SkiaSharp read fonts from /usr/share/fonts.
FONT_PACKAGES := fonts-dejavu-core
# npm: the web dashboard's charting library (ECharts) comes from npm when the Silo builds (src/Silo/YoloSweep.Silo.csproj
# pins it); Debian's npm is installed only where there is no npm at all (a Node.js install brings its own).
WEB_PACKAGES := $(if $(shell command -v npm),,npm)
DOTNET := DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 dotnet

.PHONY: deps native build test demo bench bench-torch bench-models bench-trainer bench-orchestration clean

# Installs only what is missing; a no-op (one dpkg query) when all is there.
deps:
	@missing=$$(for p in $(APT_PACKAGES) $(FONT_PACKAGES) $(WEB_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  SUDO=$$([ $$(id -u) -eq 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

native: deps
	@cmake -S src/Torch/native -B build/native-cmake -DCMAKE_BUILD_TYPE=Release \
	  -DCMAKE_LIBRARY_OUTPUT_DIRECTORY=$(NATIVE_DIR) $(if $(TORCH_CMAKE_PREFIX),-DCMAKE_PREFIX_PATH=$(TORCH_CMAKE_PREFIX)) >/dev/null
	@cmake --build build/native-cmake -j$$(nproc) | grep -vE "^\[|^(Consolidate|Scanning|Built)|make\[|gmake" || true
	@test -f $(NATIVE_DIR)/libys_torch.so

build: native
	$(DOTNET) build YoloSweep.sln -c $(CONFIG) -v q -nologo
	@mkdir -p bin
	@printf '#!/usr/bin/env bash\n# Runs the built YoloSweep CLI (make build).\nexec dotnet "%s/src/Client/bin/%s/net10.0/yolosweep.dll" "$$@"\n' "$(ROOT)" "$(CONFIG)" > bin/yolosweep
	@chmod +x bin/yolosweep

test: build
	@mkdir -p build; set -o pipefail; $(DOTNET) test YoloSweep.sln -c $(CONFIG) --no-build 2>&1 | tee build/test.log; \
	  rc=$$?; scripts/test-summary.sh build/test.log; exit $$rc

demo: build
	@scripts/demo.sh

# Benchmarks; each target prints the figures recorded in BENCHMARKS.md (ARGS overrides a harness's arguments).
bench: bench-torch bench-models bench-trainer bench-orchestration

bench-models: build
	$(DOTNET) bench/Models/bin/$(CONFIG)/net10.0/YoloSweep.Bench.Models.dll $(ARGS)

# Our training step next to a PyTorch 1.13 step of the same yolov5 (same YAML, same parameter count).
bench-trainer: build
	YS_STEPS=10 $(DOTNET) bench/Trainer/bin/$(CONFIG)/net10.0/YoloSweep.Trainer.Bench.dll $(or $(ARGS),step yolov5 n 3 16 320)
	YS_STEPS=10 /usr/bin/python3 bench/Trainer/yolov5_step.py n 3 16 320

bench-orchestration: build
	$(DOTNET) bench/Orchestration/bin/$(CONFIG)/net10.0/YoloSweep.Bench.Orchestration.dll $(or $(ARGS),lease both 2000)

# The binding's figures in BENCHMARKS.md (Torch section): ours, then PyTorch 1.13 on the same threads (THREADS=2).
bench-torch: build
	$(DOTNET) bench/Torch/bin/$(CONFIG)/net10.0/torch-bench.dll $(or $(THREADS),2)
	/usr/bin/python3 bench/Torch/bench.py $(or $(THREADS),2)

clean:
	rm -rf build bin
	$(DOTNET) clean YoloSweep.sln -v q >/dev/null
