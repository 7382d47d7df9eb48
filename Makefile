# nsrun: `make test` (install what is missing, build, run every test suite) and `make demo`.
SHELL := /bin/bash
.DEFAULT_GOAL := build

VERSION   := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
STAGE     := $(CURDIR)/build
# Cargo's output directory: $CARGO_TARGET_DIR when set, as cargo itself does.
TARGET_DIR := $(abspath $(or $(CARGO_TARGET_DIR),target))
RELEASE   := $(TARGET_DIR)/release
# Install locations (GNU names); `make install` puts each file under $(DESTDIR) + these.
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
LIBDIR    ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DATADIR   ?= $(PREFIX)/share
MANDIR    ?= $(DATADIR)/man
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
ZSHCOMPDIR ?= $(DATADIR)/zsh/site-functions
FISHCOMPDIR ?= $(DATADIR)/fish/vendor_completions.d
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
	    pkg-config:pkg-config gcc:gcc g++:g++ file:file man:man-db ping:iputils-ping \
	    newuidmap:uidmap
# What libnsrun.a needs (rustc --print native-static-libs), with the static unwinder gcc_eh
# in place of libgcc_s so that `cc -static` links too.
PRIVATE_LIBS := -lgcc_eh -lutil -lrt -lpthread -lm -ldl -lc

.PHONY: build deps venv cargo-build cli stage python header lint test test-rust test-c test-python test-rootless test-repeat demo bench \
	install install-files install-share uninstall test-install publish-check wheel wheel-check clean rootfs man doc

## deps: install what a fresh machine lacks (Debian packages, a .venv with maturin and pytest)
deps:
	@missing=""; for pair in $(DEB_CMDS); do cmd=$${pair%%:*}; pkg=$${pair#*:}; \
	  command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	dpkg -s busybox-static >/dev/null 2>&1 || missing="$$missing busybox-static"; \
	dpkg -s frr >/dev/null 2>&1 || missing="$$missing frr"; \
	dpkg -s python3-venv >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi
	@$(MAKE) --no-print-directory venv

venv: $(VENV)/.ready
$(VENV)/.ready: python/requirements-dev.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r python/requirements-dev.txt
	touch $@

## build: the Rust workspace in release mode, staged as an install tree under build/
build: stage man

cargo-build:
	$(CARGO) build --release --workspace --exclude nsrun-cli
	@$(MAKE) --no-print-directory cli

## cli: the nsrun command, linked statically and not position-independent: no dynamic loader,
## no relocation at start (0.3 ms less for every command on the test VM: `nsrun --version`
## 1.19 -> 0.91 ms). Only this binary: the libraries and the Python module stay dynamic.
CLI_RUSTFLAGS := -C target-feature=+crt-static -C relocation-model=static
cli:
	$(CARGO) rustc --release -q -p nsrun-cli --bin nsrun -- $(CLI_RUSTFLAGS)

# The staged tree is `make install` with PREFIX=build/ (the tests build against it).
stage: cargo-build
	@$(MAKE) --no-print-directory install-files DESTDIR= PREFIX=$(STAGE) BINDIR=$(STAGE)/bin \
	  LIBDIR=$(STAGE)/lib INCLUDEDIR=$(STAGE)/include PKGCONFIGDIR=$(STAGE)/lib/pkgconfig

## man: man pages (nsrun.1, nsrun-CMD.1 per subcommand) and bash/zsh/fish completions, generated
## from the CLI's clap definition and staged under build/share for `make install`
SHARE := $(STAGE)/share
man: cli
	rm -rf $(SHARE)/man/man1
	$(RELEASE)/nsrun man $(SHARE)/man/man1
	mkdir -p $(SHARE)/bash-completion/completions $(SHARE)/zsh/site-functions $(SHARE)/fish/vendor_completions.d
	$(RELEASE)/nsrun completions bash > $(SHARE)/bash-completion/completions/nsrun
	$(RELEASE)/nsrun completions zsh > $(SHARE)/zsh/site-functions/_nsrun
	$(RELEASE)/nsrun completions fish > $(SHARE)/fish/vendor_completions.d/nsrun.fish

## python: build the extension and install the package into .venv
python: venv
	cd python && VIRTUAL_ENV=$(VENV) $(VENV)/bin/maturin develop --release -q

## header: regenerate include/nsrun.h from capi (commit the result)
header:
	NSRUN_BLESS=1 $(CARGO) test -q -p nsrun-capi --test header

## doc: the workspace's rustdoc with warnings as errors (core's missing_docs is held by `make lint`)
doc:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps -q

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	@# nsrun-init is built by core/build.rs with rustc alone: lint it the same way.
	rustfmt --check --edition 2021 core/init/main.rs
	clippy-driver --edition 2021 --crate-type bin -C panic=abort --emit metadata \
	  -W clippy::undocumented_unsafe_blocks -D warnings \
	  -o $(CURDIR)/target/nsrun-init-lint core/init/main.rs

# Each suite must leave the shared fixture rootfs as it found it (tests/fixtures/rootfs_guard.sh;
# the pytest suites check it around every test, in tests/python/conftest.py).
GUARD := tests/fixtures/rootfs_guard.sh
test-rust: rootfs
	@mkdir -p $(TARGET_DIR)
	@$(GUARD) save $(ROOTFS) $(TARGET_DIR)/rootfs-listing.test-rust
	$(CARGO) test --workspace
	@$(GUARD) check $(ROOTFS) $(TARGET_DIR)/rootfs-listing.test-rust

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
	$(CC) $(CFLAGS_TEST) $$(pkg-config --cflags nsrun) tests/c/test_launch.c -o $(STAGE)/tests/test_launch \
	  $$(pkg-config --libs nsrun)
	$(CC) $(CFLAGS_TEST) $$(pkg-config --cflags nsrun) tests/c/test_link.c -o $(STAGE)/tests/test_link \
	  $$(pkg-config --libs nsrun)
	$(CC) $(CFLAGS_TEST) $$(pkg-config --cflags nsrun) tests/c/test_bad_inputs.c -o $(STAGE)/tests/test_bad_inputs \
	  $$(pkg-config --libs nsrun)
	@$(GUARD) save $(ROOTFS) $(STAGE)/tests/rootfs-listing
	ASAN_OPTIONS=detect_leaks=1 $(STAGE)/tests/test_ns
	ASAN_OPTIONS=detect_leaks=1 $(STAGE)/tests/test_link
	ASAN_OPTIONS=detect_leaks=1 NSRUN_TEST_ROOTFS=$(ROOTFS) $(STAGE)/tests/test_launch
	ASAN_OPTIONS=detect_leaks=1 NSRUN_TEST_ROOTFS=$(ROOTFS) $(STAGE)/tests/test_bad_inputs
	tests/c/link_modes.sh
	@$(GUARD) check $(ROOTFS) $(STAGE)/tests/rootfs-listing

# Two workers: the suites' leak checks see only what each test owns, so they run side by side.
PYTEST_WORKERS ?= 2
# tests/python/test_wheel.py installs the manylinux wheel `make wheel` builds (before the suites
# run: a maturin build beside the suites' own cargo builds would race on target/).
test-python: python stage rootfs wheel
	NSRUN_TEST_WHEEL_DIR=$(WHEELS) $(PY) -m pytest -q -n $(PYTEST_WORKERS) tests/python tests/security examples/lab

## test-rootless: tests/rootless as two ordinary accounts (made by the script when missing), one
## with /etc/subuid ranges (newuidmap) and one without; needs root to set them up
test-rootless: stage rootfs wheel
	tests/rootless/run.sh $(WHEELS) $(STAGE)/bin/nsrun $(STAGE)/lib $(ROOTFS)

## test: everything CI runs
test: deps lint doc rootfs test-rust test-c test-python test-rootless test-install publish-check wheel-check
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
bench: deps python rootfs wheel
	dpkg -s bubblewrap >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap
	$(VENV)/bin/pip install -q --disable-pip-version-check pyroute2
	$(PY) bench/bench_netns.py
	$(PY) bench/bench_launch.py
	$(PY) bench/bench_link.py
	tests/rootless/accounts.sh
	$(PY) bench/bench_rootless.py
	dpkg -s mininet >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mininet
	$(PY) bench/bench_lab.py

## install: PREFIX=/usr/local DESTDIR= LIBDIR=$(PREFIX)/lib (also BINDIR, INCLUDEDIR, PKGCONFIGDIR):
## the nsrun command, libnsrun.so.0 (+ the libnsrun.so link), libnsrun.a, nsrun.h, nsrun.pc and
## nsrun-static.pc. `make uninstall` with the same variables removes exactly these files.
INSTALLED = $(BINDIR)/nsrun $(LIBDIR)/libnsrun.so.0 $(LIBDIR)/libnsrun.so $(LIBDIR)/libnsrun.a \
	    $(INCLUDEDIR)/nsrun.h $(PKGCONFIGDIR)/nsrun.pc $(PKGCONFIGDIR)/nsrun-static.pc \
	    $(MANDIR)/man1/nsrun.1 $(MANDIR)/man1/nsrun-*.1 $(BASHCOMPDIR)/nsrun $(ZSHCOMPDIR)/_nsrun \
	    $(FISHCOMPDIR)/nsrun.fish
# Paths in the .pc files: relative to ${prefix} where they are under it (pkg-config --define-prefix).
pc_path = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))
PC_SED = sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(call pc_path,$(LIBDIR))|' \
	  -e 's|@INCLUDEDIR@|$(call pc_path,$(INCLUDEDIR))|' -e 's|@VERSION@|$(VERSION)|' \
	  -e 's|@PRIVATE_LIBS@|$(PRIVATE_LIBS)|'

install: cargo-build man
	@$(MAKE) --no-print-directory install-files install-share

install-files:
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 0755 $(RELEASE)/nsrun $(DESTDIR)$(BINDIR)/nsrun
	install -m 0755 $(RELEASE)/libnsrun.so $(DESTDIR)$(LIBDIR)/libnsrun.so.0
	ln -sfn libnsrun.so.0 $(DESTDIR)$(LIBDIR)/libnsrun.so
	install -m 0644 $(RELEASE)/libnsrun.a $(DESTDIR)$(LIBDIR)/libnsrun.a
	install -m 0644 include/nsrun.h $(DESTDIR)$(INCLUDEDIR)/nsrun.h
	$(PC_SED) capi/nsrun.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/nsrun.pc
	$(PC_SED) capi/nsrun-static.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/nsrun-static.pc

# The man pages and completions `make man` generated under build/share (which is also where the
# staged tree keeps them, so `stage` does not run this).
install-share:
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 0644 $(SHARE)/man/man1/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(SHARE)/bash-completion/completions/nsrun $(DESTDIR)$(BASHCOMPDIR)/nsrun
	install -m 0644 $(SHARE)/zsh/site-functions/_nsrun $(DESTDIR)$(ZSHCOMPDIR)/_nsrun
	install -m 0644 $(SHARE)/fish/vendor_completions.d/nsrun.fish $(DESTDIR)$(FISHCOMPDIR)/nsrun.fish

## uninstall: removes the files `make install` put there (directories stay, as with automake)
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))

## test-install: install into a temporary DESTDIR, check every file, build and run C programs
## against the installed .pc files (shared, nsrun-static, -static), run nsrun, uninstall
test-install: cargo-build
	tests/install.sh

## wheel: the sdist (build/wheels/nsrun-VERSION.tar.gz), and the manylinux2014 wheel built from it
## with zig (maturin --zig: glibc 2.17 symbols, no docker); its own target dir keeps target/release
WHEELS := $(STAGE)/wheels
wheel: $(VENV)/.wheel-ready
	rm -rf $(WHEELS) && mkdir -p $(WHEELS)/src
	cd python && $(VENV)/bin/maturin sdist -o $(WHEELS)
	@# -m: the sdist's timestamps are fixed (reproducible), so give the files fresh ones or cargo
	@# would reuse an old build of nsrun's own crates from $(TARGET_DIR)/wheel.
	tar -xzmf $(WHEELS)/nsrun-$(VERSION).tar.gz -C $(WHEELS)/src
	cd $(WHEELS)/src/nsrun-$(VERSION) && PATH=$(VENV)/bin:$$PATH CARGO_TARGET_DIR=$(TARGET_DIR)/wheel \
	  $(VENV)/bin/maturin build -q --release --zig --compatibility manylinux2014 -o $(WHEELS)
	rm -rf $(WHEELS)/src
$(VENV)/.wheel-ready: $(VENV)/.ready python/requirements-wheel.txt
	$(VENV)/bin/pip install -q --disable-pip-version-check -r python/requirements-wheel.txt
	touch $@

## wheel-check: sdist contents, wheel tag (auditwheel), glibc symbols, METADATA, a clean-venv install
wheel-check: wheel
	$(PY) tests/wheel_check.py $(WHEELS)

## publish-check: `cargo publish --dry-run` for the crates.io crates (nsrun, nsrun-cli)
PUBLISHED_CRATES := nsrun nsrun-cli
publish-check:
	tests/publish_check.sh $(PUBLISHED_CRATES)

clean:
	$(CARGO) clean
	rm -rf $(STAGE)
