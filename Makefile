# genesys-stream: every entry point a user or CI needs. `make demo` and `make test` work alone on a
# fresh Debian 12 machine: each installs what is missing (scripts/install-deps) and builds first.
.PHONY: deps configure build demo test test-asan test-tsan bench clean

PRESET ?= release
JOBS ?= $(shell nproc)

# ccache (when installed; CMakeLists.txt picks it up): paths below this folder are hashed relative
# to it and the working directory is not hashed, so a clone in another folder (CI's) hits the
# cache the last build here warmed.
export CCACHE_BASEDIR ?= $(CURDIR)
export CCACHE_NOHASHDIR ?= 1
export CCACHE_MAXSIZE ?= 12G

deps:
	@bash scripts/install-deps

build/%/build.ninja: CMakeLists.txt CMakePresets.json
	cmake --preset $* > /dev/null

build: deps build/$(PRESET)/build.ninja
	cmake --build --preset $(PRESET) -j $(JOBS)

demo: build
	bash scripts/demo

test: build
	ctest --preset $(PRESET)

test-asan:
	$(MAKE) test PRESET=asan

test-tsan:
	$(MAKE) test PRESET=tsan

bench: build
	cmake --build --preset $(PRESET) -j $(JOBS) --target raw_kafka_producer raw_nats_publisher \
	    raw_http_poster bench_http_receiver
	bash scripts/bench

clean:
	rm -rf build out
