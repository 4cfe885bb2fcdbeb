# pgfront — see README.md. `make` builds ./pgfront; `make test` runs every test.
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
CFLAGS ?= -O2 -g
PKGS = inih libcurl openssl jansson libsystemd
override CFLAGS += -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -I. -MMD -MP $(shell pkg-config --cflags $(PKGS))
LDLIBS = -lev $(shell pkg-config --libs $(PKGS)) -lm

LIB_SRCS = $(wildcard conf/*.c health/*.c proxy/*.c vrrp/*.c stats/*.c common/*.c)
LIB_OBJS = $(LIB_SRCS:.c=.o)
# Every file of daemon/ goes into the binary, none into the library.
DAEMON_OBJS = $(patsubst %.c,%.o,$(wildcard daemon/*.c))
UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(UNIT_SRCS:.c=)
PYTEST = /usr/bin/python3 -m pytest

.PHONY: all deps test unit-test integration-test demo drill soak bench clean

all: pgfront

libpgfront.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

pgfront: $(DAEMON_OBJS) libpgfront.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

tests/unit/test_%: tests/unit/test_%.c libpgfront.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

deps:
	scripts/install-deps

unit-test: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done
	$(MAKE) -C bench test

# An LD_PRELOAD shim that fails chosen libc calls, for the error-path tests.
tests/shim/libfault.so: tests/shim/fault.c
	$(CC) -O2 -g -Wall -Wextra -Werror -shared -fPIC -o $@ $< -ldl

integration-test: pgfront tests/shim/libfault.so
	$(PYTEST) -v tests/integration

test: deps
	$(MAKE) unit-test
	$(MAKE) integration-test

demo: deps pgfront
	scripts/demo

bench: deps pgfront
	$(MAKE) -C bench
	bench/run

drill: deps pgfront
	$(MAKE) -C bench
	scripts/drill $(DRILL_ARGS)

# Not in CI: minutes to an hour (SOAK_SCALE=small for a short run).
soak: deps pgfront
	$(MAKE) -C bench
	scripts/soak $(SOAK_ARGS)

# --- Installing (binary, systemd unit, man pages) and the Debian package ---
# README "Install"; the package's files are in debian/.
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/pgfront
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
SYSCONFDIR ?= /etc

.PHONY: install deb

install: pgfront
	install -D -m 0755 pgfront $(DESTDIR)$(SBINDIR)/pgfront
	install -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(DOCDIR)/examples \
	        $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	sed 's|@sbindir@|$(SBINDIR)|g' systemd/pgfront.service.in >$(DESTDIR)$(SYSTEMDUNITDIR)/pgfront.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/pgfront.service
	install -m 0644 systemd/pgfront.sysusers $(DESTDIR)$(SYSUSERSDIR)/pgfront.conf
	gzip -9n -c man/pgfront.8 >$(DESTDIR)$(MANDIR)/man8/pgfront.8.gz
	gzip -9n -c man/pgfront.ini.5 >$(DESTDIR)$(MANDIR)/man5/pgfront.ini.5.gz
	chmod 0644 $(DESTDIR)$(MANDIR)/man8/pgfront.8.gz $(DESTDIR)$(MANDIR)/man5/pgfront.ini.5.gz
	install -m 0644 examples/pgfront.ini $(DESTDIR)$(DOCDIR)/examples/pgfront.ini
	@# An operator's file is never overwritten.
	if [ ! -e $(DESTDIR)$(SYSCONFDIR)/pgfront/pgfront.ini ]; then \
		install -D -m 0644 examples/pgfront-default.ini $(DESTDIR)$(SYSCONFDIR)/pgfront/pgfront.ini; fi
	@# On this machine (no DESTDIR): the unit's User=pgfront must exist.
	if [ -z "$(DESTDIR)" ] && command -v systemd-sysusers >/dev/null; then \
		systemd-sysusers $(SYSUSERSDIR)/pgfront.conf; fi

# dist/pgfront_VERSION_ARCH.deb, built in a temporary copy of the tree.
deb:
	scripts/build-deb

clean:
	$(MAKE) -C bench clean
	rm -rf build
	rm -f pgfront libpgfront.a $(LIB_OBJS) $(DAEMON_OBJS) $(UNIT_BINS) \
	      $(LIB_OBJS:.o=.d) $(DAEMON_OBJS:.o=.d) $(UNIT_BINS:=.d) tests/shim/libfault.so

-include $(LIB_OBJS:.o=.d) $(DAEMON_OBJS:.o=.d)

# ---- make sanitize-test: pgfront and the unit tests built again with
# AddressSanitizer and UBSan into build/asan/ (./pgfront and the objects
# beside the sources are left alone), the unit tests run under them, then the
# integration suites that need no Patroni cluster against build/asan/pgfront.
# Their pgfront fixture fails a test whose pgfront log holds a report.
ASAN_DIR = build/asan
ASAN_SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ASAN_LIB_OBJS = $(LIB_SRCS:%.c=$(ASAN_DIR)/%.o)
ASAN_DAEMON_OBJS = $(patsubst %.c,$(ASAN_DIR)/%.o,$(wildcard daemon/*.c))
ASAN_UNIT_BINS = $(UNIT_BINS:%=$(ASAN_DIR)/%)
SANITIZE_SUITES = tests/integration/test_proxy.py tests/integration/test_operations.py \
	tests/integration/test_stats.py tests/integration/test_stats_admin.py \
	tests/integration/test_threads.py tests/integration/test_bulk.py
SANITIZE_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:log_path=stderr:strict_string_checks=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=stderr \
	PGFRONT_BINARY=$(CURDIR)/$(ASAN_DIR)/pgfront

.PHONY: sanitize-test sanitize-build
sanitize-test: sanitize-build
	@set -e; for t in $(ASAN_UNIT_BINS); do echo "== $$t"; $(SANITIZE_ENV) $$t; done
	$(SANITIZE_ENV) $(PYTEST) -v $(SANITIZE_SUITES)

sanitize-build: $(ASAN_DIR)/pgfront $(ASAN_UNIT_BINS)

$(ASAN_DIR)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(ASAN_SAN) -c -o $@ $<

$(ASAN_DIR)/libpgfront.a: $(ASAN_LIB_OBJS)
	$(AR) rcs $@ $^

$(ASAN_DIR)/pgfront: $(ASAN_DAEMON_OBJS) $(ASAN_DIR)/libpgfront.a
	$(CC) $(LDFLAGS) $(ASAN_SAN) -o $@ $^ $(LDLIBS)

$(ASAN_DIR)/tests/unit/test_%: tests/unit/test_%.c $(ASAN_DIR)/libpgfront.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(ASAN_SAN) $(LDFLAGS) -o $@ $< $(ASAN_DIR)/libpgfront.a $(LDLIBS) -lcmocka

-include $(ASAN_LIB_OBJS:.o=.d) $(ASAN_DAEMON_OBJS:.o=.d) $(ASAN_UNIT_BINS:=.d)

# ---- make tsan-test: pgfront built with ThreadSanitizer into build/tsan/,
# then the suites that put sessions on relay threads ([global] threads, the
# default being one per CPU) and take them back: a data race between the
# main thread and a relay thread fails the test (the fixture reads the log).
TSAN_DIR = build/tsan
TSAN_SAN = -fsanitize=thread -fno-omit-frame-pointer
TSAN_LIB_OBJS = $(LIB_SRCS:%.c=$(TSAN_DIR)/%.o)
TSAN_DAEMON_OBJS = $(patsubst %.c,$(TSAN_DIR)/%.o,$(wildcard daemon/*.c))
TSAN_SUITES = tests/integration/test_threads.py tests/integration/test_bulk.py tests/integration/test_proxy.py
TSAN_ENV = TSAN_OPTIONS=halt_on_error=1:abort_on_error=1:log_path=stderr:second_deadlock_stack=1:suppressions=$(CURDIR)/tests/tsan.supp \
	PGFRONT_BINARY=$(CURDIR)/$(TSAN_DIR)/pgfront

.PHONY: tsan-test
tsan-test: $(TSAN_DIR)/pgfront
	$(TSAN_ENV) $(PYTEST) -v $(TSAN_SUITES)

$(TSAN_DIR)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(TSAN_SAN) -c -o $@ $<

$(TSAN_DIR)/libpgfront.a: $(TSAN_LIB_OBJS)
	$(AR) rcs $@ $^

$(TSAN_DIR)/pgfront: $(TSAN_DAEMON_OBJS) $(TSAN_DIR)/libpgfront.a
	$(CC) $(LDFLAGS) $(TSAN_SAN) -o $@ $^ $(LDLIBS)

-include $(TSAN_LIB_OBJS:.o=.d) $(TSAN_DAEMON_OBJS:.o=.d)

# ---- make fuzz: the libFuzzer targets of tests/fuzz/, built with clang into
# build/fuzz/ from the pure layers they call, then run for FUZZ_SECONDS each
# from a copy of tests/fuzz/corpus/ (tests/fuzz/run). Extra libFuzzer flags:
# FUZZ_ARGS="-jobs=1 -runs=10000000".
FUZZ_SECONDS ?= 60
FUZZ_ARGS ?=
FUZZ_CC = clang
FUZZ_DIR = build/fuzz
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=gnu11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -I. -MMD -MP \
	$(FUZZ_SAN) $(shell pkg-config --cflags $(PKGS))
FUZZ_LIB_SRCS = $(wildcard conf/*.c common/*.c) vrrp/packet.c proxy/pgproto.c \
	stats/http.c stats/auth.c stats/form.c health/patroni.c health/hysteresis.c
FUZZ_LIB_OBJS = $(FUZZ_LIB_SRCS:%.c=$(FUZZ_DIR)/%.o)
FUZZ_BINS = $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(wildcard tests/fuzz/fuzz_*.c))

.PHONY: fuzz fuzz-build
fuzz: fuzz-build
	tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_BINS)

fuzz-build: $(FUZZ_BINS)

$(FUZZ_DIR)/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/libpgfront.a: $(FUZZ_LIB_OBJS)
	$(AR) rcs $@ $^

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_DIR)/libpgfront.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_DIR)/libpgfront.a $(LDLIBS)

-include $(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_BINS:=.d)

