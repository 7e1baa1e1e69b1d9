# shutdownfs — one plain GNU Makefile. Overrides go in config.mk. V=1 for verbose.
-include config.mk

PREFIX    ?= /usr
SBINDIR   ?= $(PREFIX)/sbin
LIBDIR    ?= $(PREFIX)/lib/shutdownfs
MANDIR    ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
# systemd's unit directory as its pkg-config file says (Debian 12:
# /lib/systemd/system), else the classic place
SYSTEMDUNITDIR ?= $(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)
DESTDIR   ?=

B         ?= build
DEPS      := $(B)/deps
CC        := musl-gcc
HOSTCC    ?= gcc
CLANG     ?= clang

WARN      := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wformat=2 -Wno-format-truncation -Wno-format-nonliteral -Wmissing-prototypes -Werror=implicit-function-declaration
CPPFLAGS  += -D_GNU_SOURCE -DPREFIX='"$(PREFIX)"'
CFLAGS    ?= -Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-stack-protector
CFLAGS    += -std=gnu11 $(WARN)
DEPINC    := -isystem $(DEPS)/include
LDFLAGS   += -static -Wl,--gc-sections -Wl,-O1 -s
LIBS      := -L$(DEPS)/lib -lmount -lblkid -lkmod

SRCS      := $(sort $(wildcard pivot/*.c))
OBJS      := $(SRCS:pivot/%.c=$(B)/obj/%.o)
LIBOBJS   := $(filter-out $(B)/obj/main.o $(B)/obj/sys-linux.o,$(OBJS))
HDRS      := $(wildcard pivot/*.h)

UNIT_SRCS := $(sort $(wildcard tests/unit/test-*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/unit/%)
ASAN_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/unit-asan/%)
UNIT_SUPPORT := tests/unit/fake-sys.c
ASAN_FLAGS := -g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
HOST_LIBS  = $(shell pkg-config --libs mount blkid libkmod 2>/dev/null || echo -lmount -lblkid -lkmod)

ifeq ($(V),1)
Q :=
else
Q := @
endif

.PHONY: all deps check unit ns vm install install-systemd demo fuzz fuzz-replay bench clean distclean shellcheck
all: $(B)/shutdownfs

deps: $(DEPS)/.stamp $(B)/.host-deps
$(DEPS)/.stamp: mk/deps.sh
	BUILD=$(B) sh mk/deps.sh
# packages the tests need on the host (ASan build, libFuzzer, ns tier tools)
$(B)/.host-deps: mk/host-deps.sh
	BUILD=$(B) sh mk/host-deps.sh

$(B)/obj/%.o: pivot/%.c $(HDRS) $(DEPS)/.stamp
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) $(DEPINC) $(CFLAGS) -c -o $@ $<

# The binary must be static: a dynamic section means a loader from the old root.
$(B)/shutdownfs: $(OBJS)
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(LIBS)
	$(Q)if readelf -d $@ | grep -q 'Dynamic section'; then echo "$@: has a dynamic section" >&2; rm -f $@; exit 1; fi
	@echo "  SIZE    $@ $$(stat -c %s $@) bytes"

# Unit tests: musl static against a fake sys.h, and host libc with ASan/UBSan.
$(B)/unit/%: tests/unit/%.c tests/unit/harness.h $(UNIT_SUPPORT) $(LIBOBJS)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(DEPINC) -Ipivot -std=gnu11 -g -O1 -static -o $@ $< $(UNIT_SUPPORT) $(LIBOBJS) $(LIBS)

$(B)/unit-asan/%: tests/unit/%.c tests/unit/harness.h $(UNIT_SUPPORT) $(SRCS) $(HDRS) $(B)/.host-deps
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(CPPFLAGS) -Ipivot -std=gnu11 $(ASAN_FLAGS) -o $@ $< $(UNIT_SUPPORT) \
		$(filter-out pivot/main.c pivot/sys-linux.c,$(SRCS)) $(HOST_LIBS)

unit: $(UNIT_BINS) $(ASAN_BINS)

check: all unit $(B)/fuzz/fuzz-config
	sh tests/run-all.sh

ns: all
	sh tests/ns/run.sh
vm: all
	sh tests/vm/run.sh

FUZZ_SRCS := pivot/config.c pivot/config-file.c pivot/cmdline.c pivot/exitrd.c pivot/log.c pivot/action.c pivot/scope.c pivot/sysfs.c pivot/swaps.c pivot/mounts.c
$(B)/fuzz/fuzz-config: tests/fuzz/fuzz-config.c $(FUZZ_SRCS) $(HDRS) $(B)/.host-deps
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(CPPFLAGS) -Ipivot -g -O1 -fsanitize=fuzzer,address,undefined -o $@ $< $(FUZZ_SRCS) $(HOST_LIBS)
fuzz: $(B)/fuzz/fuzz-config
	@mkdir -p $(B)/fuzz/corpus
	$(B)/fuzz/fuzz-config -max_total_time=$${FUZZ_SECONDS:-60} -max_len=8192 $(B)/fuzz/corpus tests/fuzz/corpus
fuzz-replay: $(B)/fuzz/fuzz-config
	$(B)/fuzz/fuzz-config -runs=0 tests/fuzz/corpus

demo: all
	sh tests/vm/demo.sh

shellcheck:
	sh tests/unit/shellcheck.sh

bench: all
	sh bench/stage1.sh
	sh bench/skel-size.sh --no-write
	sh bench/vm-bench.sh

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(SYSCONFDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5
	install -m 0755 $(B)/shutdownfs $(DESTDIR)$(SBINDIR)/shutdownfs
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' mkshutdownfs.sh > $(DESTDIR)$(SBINDIR)/mkshutdownfs
	chmod 0755 $(DESTDIR)$(SBINDIR)/mkshutdownfs
	rm -rf $(DESTDIR)$(LIBDIR)/hooks.d $(DESTDIR)$(LIBDIR)/ramfs-skel $(DESTDIR)$(LIBDIR)/init
	cp -R hooks.d ramfs-skel init $(DESTDIR)$(LIBDIR)/
	chmod -R go-w $(DESTDIR)$(LIBDIR)
	[ -e $(DESTDIR)$(SYSCONFDIR)/shutdownfs.conf ] || install -m 0644 docs/shutdownfs.conf $(DESTDIR)$(SYSCONFDIR)/shutdownfs.conf
	for m in docs/*.8; do [ -e "$$m" ] && install -m 0644 "$$m" $(DESTDIR)$(MANDIR)/man8/ || :; done
	for m in docs/*.5; do [ -e "$$m" ] && install -m 0644 "$$m" $(DESTDIR)$(MANDIR)/man5/ || :; done
	$(MAKE) --no-print-directory install-systemd

# systemd's exitrd: the unit (enable it: systemctl enable shutdownfs-exitrd),
# its ExecStop helper, and the drop-ins that make dracut's and mkinitcpio's
# shutdown units yield /run/initramfs while it is enabled
SUBST = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@LIBDIR@|$(LIBDIR)|g'
install-systemd:
	install -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(LIBDIR)
	$(SUBST) systemd/shutdownfs-exitrd.service.in > $(DESTDIR)$(SYSTEMDUNITDIR)/shutdownfs-exitrd.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/shutdownfs-exitrd.service
	$(SUBST) systemd/exitrd-prepare.sh > $(DESTDIR)$(LIBDIR)/exitrd-prepare
	chmod 0755 $(DESTDIR)$(LIBDIR)/exitrd-prepare
	for u in dracut-shutdown.service mkinitcpio-generate-shutdown-ramfs.service mdadm-shutdown.service; do \
		install -d $(DESTDIR)$(SYSTEMDUNITDIR)/$$u.d && \
		install -m 0644 systemd/yield-to-shutdownfs.conf $(DESTDIR)$(SYSTEMDUNITDIR)/$$u.d/shutdownfs.conf || exit 1; \
	done

clean:
	rm -rf $(B)/obj $(B)/unit $(B)/unit-asan $(B)/fuzz $(B)/shutdownfs
distclean:
	rm -rf $(B)
