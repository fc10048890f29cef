# rocks — everyday targets. The real build is CMake; this file only names the common runs.
#   make deps    install the Debian packages (scripts/deps.sh; idempotent)
#   make build   release build in build/
#   make test    build + all tests (release, then ASan+UBSan, then a fuzz smoke run)
#   make run     the main job (see README)
#   make bench   benchmarks (bench-speedup: C vs the pure-Python reference)
#   make fuzz    long fuzz runs (FUZZ_RUNS=1000000 per target by default)
JOBS ?= $(shell nproc)
PY ?= /usr/bin/python3
FUZZ_RUNS ?= 1000000
CMAKE_FLAGS ?=

.PHONY: all deps build build-asan build-fuzz test test-release test-asan fuzz-smoke fuzz run bench bench-speedup bench-nn clean

all: build

deps:
	./scripts/deps.sh

build:
	cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE=$(PY) $(CMAKE_FLAGS)
	cmake --build build -j $(JOBS)

build-asan:
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DROCKS_SANITIZE=ON -DPython3_EXECUTABLE=$(PY) $(CMAKE_FLAGS)
	cmake --build build-asan -j $(JOBS)

build-fuzz:
	CC=clang cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DROCKS_FUZZ=ON $(CMAKE_FLAGS)
	cmake --build build-fuzz -j $(JOBS)

test-release: build
	cd build && ctest --output-on-failure -j $(JOBS)

test-asan: build-asan
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS) -LE slow

fuzz-smoke: build-fuzz
	./scripts/fuzz.sh build-fuzz 20000

test: test-release test-asan fuzz-smoke
	@echo "rocks: all tests passed"

fuzz: build-fuzz
	./scripts/fuzz.sh build-fuzz $(FUZZ_RUNS)

run: deps build
	./scripts/run.sh

bench: build
	./build/rocks bench playouts --size 9
	./build/rocks bench playouts --size 19

bench-speedup: build
	PYTHONPATH=build/python $(PY) bench/speedup.py --out build/bench/speedup

# rocks vs PyTorch on GoResNet, side by side (issue 4 table): ~15 min on a quiet machine
bench-nn: build
	$(PY) bench/bench_nn.py --rocks build/rocks --out build/bench/bench_nn $(BENCH_NN_FLAGS)

clean:
	rm -rf build build-asan build-fuzz
