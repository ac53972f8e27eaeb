# jianguan — top-level commands. The build itself is CMake + Ninja (CMakeLists.txt).
.PHONY: all release asan run test bench fuzz web deps clean

JOBS := $(shell nproc)
FUZZ_SECONDS ?= 30

all: release

release:
	@scripts/install-deps.sh run
	@cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build build -j $(JOBS) --target jianguan

asan:
	@scripts/install-deps.sh test
	@cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DJG_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)

web:
	@scripts/web.sh

run: release web
	@scripts/run.sh

test:
	@scripts/test.sh

bench: release
	@scripts/install-deps.sh bench
	@bash bench/api_read.sh
	@bash bench/auth.sh
	@bash bench/records.sh

fuzz:
	@scripts/fuzz.sh $(FUZZ_SECONDS)

deps:
	@scripts/install-deps.sh all

clean:
	rm -rf build build-asan build-fuzz web/dist
