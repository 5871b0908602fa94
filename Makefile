# genesys-stream: every entry point a user or CI needs. `make demo` and `make test` work alone on a
# fresh Debian 12 machine: each installs what is missing (scripts/install-deps) and builds first.
.PHONY: deps configure build demo test test-asan test-tsan bench package install clean

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

# The Debian package: build/$(PRESET)/genesys-stream_<version>_<arch>.deb (cmake/install.cmake).
package: build
	cd build/$(PRESET) && cpack -G DEB

# Installs under PREFIX (and the configuration in /etc/genesys-stream), the binary stripped;
# DESTDIR=<dir> stages it there instead.
PREFIX ?= /usr/local
install: build
	cmake --install build/$(PRESET) --prefix $(PREFIX) --strip

clean:
	rm -rf build out
