# SPDX-License-Identifier: GPL-2.0-or-later
# igd-regroup: plain Makefile, pkg-config for the dependencies, an internal
# static library linked by the programs and by the Check test binaries.

VERSION := 0.1.0

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/lib/igd-regroup
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DESTDIR ?=

# Build directory: `make B=build-asan CFLAGS=...` keeps a sanitizer build apart.
B ?= build

CC ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS ?= -O2 -g
WERROR ?= -Werror
PKGS := libsystemd libpci inih libkmod
TEST_PKGS := check

DEP_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS))
DEP_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS))
TEST_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(TEST_PKGS) 2>/dev/null)
TEST_LIBS := $(shell $(PKG_CONFIG) --libs $(TEST_PKGS) 2>/dev/null)

WARNINGS := -Wall -Wextra $(WERROR) -Wshadow -Wformat=2 -Wmissing-prototypes \
	-Wstrict-prototypes -Wno-unused-parameter -Wvla
ALL_CPPFLAGS := -D_GNU_SOURCE -DIGD_VERSION='"$(VERSION)"' \
	-DIGD_LIBEXECDIR='"$(LIBEXECDIR)"' -iquote lib $(CPPFLAGS)
ALL_CFLAGS := -std=gnu11 -pthread $(WARNINGS) $(DEP_CFLAGS) $(CFLAGS)

# lib/ by stage, lower stages never including higher ones (.ci/check-layers):
# core, config, topology, network, engine, pve, admin.
LIB_SRCS := $(wildcard lib/*/*.c)
# The shipped config, compiled in: `detect --write` replaces it, and only it.
SHIPPED_CONFIG_C := $(B)/gen/shipped_config.c
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o) $(SHIPPED_CONFIG_C:%.c=%.o)
LIB_A := $(B)/libigd.a

PROGS := $(B)/igd-regroup $(B)/igd-regroup-hook $(B)/igd-regroup-netnotify
# test/ follows lib/'s folders: test/STAGE/test-MODULE.c, one Check suite each.
TEST_SRCS := $(wildcard test/*/test-*.c)
TEST_BINS := $(TEST_SRCS:test/%.c=$(B)/test/%)
TEST_HELPER_SRCS := $(wildcard test/*.c)
TEST_HELPER_OBJS := $(TEST_HELPER_SRCS:%.c=$(B)/%.o)

all: $(PROGS)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/test/%.o: test/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) -iquote test $(ALL_CFLAGS) $(TEST_CFLAGS) -MMD -MP -c -o $@ $<

$(SHIPPED_CONFIG_C): conf/igd-regroup.conf
	@mkdir -p $(dir $@)
	{ printf '/* Generated from conf/igd-regroup.conf by the Makefile. */\n#include "admin/detect.h"\n\nconst char detect_shipped_config[] =\n'; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t"/' -e 's/$$/\\n"/' $<; printf ';\n'; } > $@.tmp
	mv $@.tmp $@

$(SHIPPED_CONFIG_C:%.c=%.o): $(SHIPPED_CONFIG_C)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIB_A): $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(B)/igd-regroup: $(B)/units/igd-regroup.o $(LIB_A)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(DEP_LIBS)

$(B)/igd-regroup-hook: $(B)/hook/igd-regroup-hook.o $(LIB_A)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(DEP_LIBS)

$(B)/igd-regroup-netnotify: $(B)/units/igd-regroup-netnotify.o $(LIB_A)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(DEP_LIBS)

# Test programs are linked with the sysfs model (test/sim.c): every write(2)
# goes through it, and it applies those aimed at the simulated sysfs.
TEST_LDFLAGS := -Wl,--wrap=write -pthread

$(TEST_BINS): $(B)/test/%: $(B)/test/%.o $(TEST_HELPER_OBJS) $(LIB_A)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(TEST_LDFLAGS) -o $@ $^ $(TEST_LIBS) $(DEP_LIBS)

# The real programs (same mains, same library) on the sysfs model.
# $IGD_SIM_ENOMEM=plan_build: an allocation failure in the plan (test/tools/sim_enomem.c).
$(B)/test/igd-regroup-sim: $(B)/units/igd-regroup.o $(B)/test/tools/sim_env.o $(B)/test/tools/sim_enomem.o $(TEST_HELPER_OBJS) $(LIB_A)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(TEST_LDFLAGS) -Wl,--wrap=plan_build -o $@ $^ $(TEST_LIBS) $(DEP_LIBS)

$(B)/test/igd-regroup-hook-sim: $(B)/hook/igd-regroup-hook.o $(B)/test/tools/sim_env.o $(TEST_HELPER_OBJS) $(LIB_A)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(TEST_LDFLAGS) -o $@ $^ $(TEST_LIBS) $(DEP_LIBS)

$(B)/test/mkfixture: $(B)/test/tools/mkfixture.o $(TEST_HELPER_OBJS) $(LIB_A)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(TEST_LDFLAGS) -o $@ $^ $(TEST_LIBS) $(DEP_LIBS)

TEST_TOOLS := $(B)/test/igd-regroup-sim $(B)/test/igd-regroup-hook-sim $(B)/test/mkfixture

# Each suite is its own binary; Check forks per test, so no test sees another's state.
# TEST_WRAPPER lets CI run the same binaries under valgrind. Check's per-test
# timeout only catches a hung test: it is stretched (CK_TIMEOUT_MULTIPLIER,
# default 5) so that valgrind or a busy machine does not fail a test that works.
check: $(PROGS) $(TEST_BINS) $(TEST_TOOLS)
	@set -e; for t in $(TEST_BINS); do \
		echo "== $$t"; \
		CK_TIMEOUT_MULTIPLIER=$${CK_TIMEOUT_MULTIPLIER:-5} IGD_TEST_SRCDIR=$(CURDIR)/test IGD_TEST_BUILDDIR=$(CURDIR)/$(B) $(TEST_WRAPPER) $$t; \
	done
	@for s in test/test-*.sh; do \
		[ -e "$$s" ] || continue; \
		echo "== $$s"; \
		IGD_TEST_SRCDIR=$(CURDIR)/test IGD_TEST_BUILDDIR=$(CURDIR)/$(B) sh $$s || exit 1; \
	done

# The main job for a newcomer: the groups split on a real kernel, in the
# QEMU lab (test/lab/demo.sh; needs root). demo-sim: the seed's HP
# EliteDesk on the simulated sysfs, in a second.
demo:
	sh test/lab/demo.sh

demo-sim: $(PROGS) $(TEST_TOOLS)
	sh test/demo.sh $(B)

# Figures for apply on the simulated sysfs (see test/bench-sim.sh).
bench-sim: $(PROGS) $(TEST_TOOLS)
	B=$(B) sh test/bench-sim.sh
	B=$(B) sh test/bench-hook.sh

install: all
	install -D -m 0755 $(B)/igd-regroup $(DESTDIR)$(SBINDIR)/igd-regroup
	install -D -m 0755 $(B)/igd-regroup-hook $(DESTDIR)$(LIBEXECDIR)/igd-regroup-hook
	install -D -m 0755 $(B)/igd-regroup-netnotify $(DESTDIR)$(LIBEXECDIR)/igd-regroup-netnotify
	install -D -m 0644 conf/igd-regroup.conf $(DESTDIR)$(SYSCONFDIR)/igd-regroup.conf
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	sed 's|@SBINDIR@|$(SBINDIR)|g' units/igd-regroup.service.in > $(DESTDIR)$(SYSTEMDUNITDIR)/igd-regroup.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/igd-regroup.service
	sed 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' units/igd-regroup-netnotify.service.in > $(DESTDIR)$(SYSTEMDUNITDIR)/igd-regroup-netnotify.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/igd-regroup-netnotify.service
	install -D -m 0644 units/igd-regroup.8 $(DESTDIR)$(MANDIR)/man8/igd-regroup.8
	install -D -m 0644 hook/igd-regroup-hook.8 $(DESTDIR)$(MANDIR)/man8/igd-regroup-hook.8
	install -D -m 0644 units/igd-regroup-netnotify.8 $(DESTDIR)$(MANDIR)/man8/igd-regroup-netnotify.8
	install -D -m 0644 conf/igd-regroup.conf.5 $(DESTDIR)$(MANDIR)/man5/igd-regroup.conf.5

clean:
	rm -rf build build-*

.PHONY: all check demo demo-sim bench-sim install clean

-include $(shell find $(B)/lib $(B)/gen $(B)/units $(B)/hook $(B)/test -name '*.d' -type f 2>/dev/null)

# The real-kernel lab (test/lab/): make lab, make demo-lab, make bench.
-include test/lab/lab.mk

# libFuzzer targets (test/fuzz/): make fuzz.
include test/fuzz/fuzz.mk

# Debian package
# deb: build/deb/igd-regroup_*.deb, built from a copy of the tree in
# build/deb/src (make check runs inside unless DEB_BUILD_OPTIONS=nocheck),
# then lintian on it: no error, no warning.
# deb-install-test: that .deb in a clean Debian 12 root: apt install, run,
# upgrade, purge (needs root and mmdebstrap).
# deb-trixie: build, test and lintian in a clean Debian 13 root as a
# buildd would, then the same install test in Debian 13 (root, mmdebstrap).
deb:
	bash test/deb/build.sh

deb-install-test:
	bash test/deb/install-test.sh bookworm

deb-trixie:
	bash test/deb/chroot-build.sh trixie
	bash test/deb/install-test.sh trixie build/deb/trixie/igd-regroup_$(VERSION)_$$(dpkg --print-architecture).deb

.PHONY: deb deb-install-test deb-trixie
