# nsrun: `make test` (install what is missing, build, run every test suite) and `make demo`.
SHELL := /bin/bash
.DEFAULT_GOAL := build

VERSION   := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
STAGE     := $(CURDIR)/build
PREFIX    ?= /usr/local
VENV      := $(CURDIR)/.venv
PY        := $(VENV)/bin/python
CARGO     ?= cargo
CC        ?= gcc
CFLAGS_TEST := -std=c11 -g -O1 -Wall -Wextra -Werror -fsanitize=address,undefined -fno-omit-frame-pointer
export PKG_CONFIG_PATH := $(STAGE)/lib/pkgconfig:$(PKG_CONFIG_PATH)
export LD_LIBRARY_PATH := $(STAGE)/lib:$(LD_LIBRARY_PATH)

# Debian packages the build and tests use: command -> package (plus busybox-static for the
# test rootfs and frr for the routing example in examples/lab/frr, run by test-python).
DEB_CMDS := ip:iproute2 unshare:util-linux nsenter:util-linux lsns:util-linux setpriv:util-linux \
	    pkg-config:pkg-config gcc:gcc g++:g++ file:file ping:iputils-ping
PRIVATE_LIBS := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc

.PHONY: build deps venv stage python header lint test test-rust test-c test-python test-repeat demo bench install clean rootfs

## deps: install what a fresh machine lacks (Debian packages, a .venv with maturin and pytest)
deps:
	@missing=""; for pair in $(DEB_CMDS); do cmd=$${pair%%:*}; pkg=$${pair#*:}; \
	  command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	dpkg -s busybox-static >/dev/null 2>&1 || missing="$$missing busybox-static"; \
	dpkg -s frr >/dev/null 2>&1 || missing="$$missing frr"; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi
	@$(MAKE) --no-print-directory venv

venv: $(VENV)/.ready
$(VENV)/.ready: python/requirements-dev.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r python/requirements-dev.txt
	touch $@

## build: the Rust workspace in release mode, staged as an install tree under build/
build: stage

stage:
	$(CARGO) build --release --workspace
	mkdir -p $(STAGE)/lib/pkgconfig $(STAGE)/include $(STAGE)/bin
	cp -f target/release/libnsrun.so $(STAGE)/lib/libnsrun.so.0
	ln -sf libnsrun.so.0 $(STAGE)/lib/libnsrun.so
	cp -f target/release/libnsrun.a $(STAGE)/lib/libnsrun.a
	cp -f include/nsrun.h $(STAGE)/include/nsrun.h
	cp -f target/release/nsrun $(STAGE)/bin/nsrun
	sed -e 's|@PREFIX@|$(STAGE)|' -e 's|@VERSION@|$(VERSION)|' -e 's|@PRIVATE_LIBS@|$(PRIVATE_LIBS)|' \
	  capi/nsrun.pc.in > $(STAGE)/lib/pkgconfig/nsrun.pc

## python: build the extension and install the package into .venv
python: venv
	cd python && VIRTUAL_ENV=$(VENV) $(VENV)/bin/maturin develop --release -q

## header: regenerate include/nsrun.h from capi (commit the result)
header:
	NSRUN_BLESS=1 $(CARGO) test -q -p nsrun-capi --test header

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	@# nsrun-init is built by core/build.rs with rustc alone: lint it the same way.
	rustfmt --check --edition 2021 core/init/main.rs
	clippy-driver --edition 2021 --crate-type bin -W clippy::undocumented_unsafe_blocks \
	  -D warnings -o $(CURDIR)/target/nsrun-init-lint core/init/main.rs

test-rust: rootfs
	$(CARGO) test --workspace

## rootfs: the busybox router rootfs the tests and the demo boot, built once before any suite
## (tests/fixtures/make_rootfs.sh: a no-op while it is up to date; atomic; the suites only read it)
ROOTFS := $(CURDIR)/tests/fixtures/rootfs
rootfs:
	@tests/fixtures/make_rootfs.sh $(ROOTFS)

test-c: stage rootfs
	@mkdir -p $(STAGE)/tests
	$(CC) -std=c11 -Wall -Wextra -Werror -fsyntax-only -x c include/nsrun.h
	g++ -std=c++11 -Wall -Wextra -Werror -fsyntax-only -x c++ include/nsrun.h
	$(CC) $(CFLAGS_TEST) $$(pkg-config --cflags nsrun) tests/c/test_ns.c -o $(STAGE)/tests/test_ns \
	  $$(pkg-config --libs nsrun) -lpthread
	$(CC) -std=c11 -Wall -Wextra -Werror $$(pkg-config --cflags nsrun) tests/c/test_static.c \
	  -o $(STAGE)/tests/test_static $(STAGE)/lib/libnsrun.a $(PRIVATE_LIBS)
	$(CC) $(CFLAGS_TEST) $$(pkg-config --cflags nsrun) tests/c/test_launch.c -o $(STAGE)/tests/test_launch \
	  $$(pkg-config --libs nsrun)
	$(CC) $(CFLAGS_TEST) $$(pkg-config --cflags nsrun) tests/c/test_link.c -o $(STAGE)/tests/test_link \
	  $$(pkg-config --libs nsrun)
	ASAN_OPTIONS=detect_leaks=1 $(STAGE)/tests/test_ns
	ASAN_OPTIONS=detect_leaks=1 $(STAGE)/tests/test_link
	ASAN_OPTIONS=detect_leaks=1 NSRUN_TEST_ROOTFS=$(ROOTFS) $(STAGE)/tests/test_launch
	$(STAGE)/tests/test_static

# Two workers: the suites' leak checks see only what each test owns, so they run side by side.
PYTEST_WORKERS ?= 2
test-python: python stage rootfs
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) tests/python examples/lab

## test: everything CI runs
test: deps lint rootfs test-rust test-c test-python
	@echo "make test: all suites passed"

## test-repeat: N cold runs of .ci/run, each in a fresh clone of HEAD (no fixture, venv or
## build); HOG=1 keeps every core busy meanwhile. Prints each run's duration and the pass count.
N ?= 5
HOG ?= 0
test-repeat:
	tests/repeat.sh $(N) $(HOG)

## demo: the namespace operations on the host, then `nsrun boot` of the busybox rootfs
demo: deps python rootfs stage
	$(PY) examples/python/netns_tour.py
	examples/demo.sh $(STAGE)/bin/nsrun $(ROOTFS)

## bench: benchmarks against ip, pyroute2 (prints ratios)
bench: deps python rootfs
	dpkg -s bubblewrap >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap
	$(VENV)/bin/pip install -q --disable-pip-version-check pyroute2
	$(PY) bench/bench_netns.py
	$(PY) bench/bench_launch.py
	$(PY) bench/bench_link.py

install: stage
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 0755 $(STAGE)/lib/libnsrun.so.0 $(DESTDIR)$(PREFIX)/lib/libnsrun.so.0
	ln -sf libnsrun.so.0 $(DESTDIR)$(PREFIX)/lib/libnsrun.so
	install -m 0644 $(STAGE)/lib/libnsrun.a $(DESTDIR)$(PREFIX)/lib/libnsrun.a
	install -m 0644 include/nsrun.h $(DESTDIR)$(PREFIX)/include/nsrun.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' -e 's|@PRIVATE_LIBS@|$(PRIVATE_LIBS)|' \
	  capi/nsrun.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/nsrun.pc

clean:
	$(CARGO) clean
	rm -rf $(STAGE)
