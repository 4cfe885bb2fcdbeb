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
	rm -f pgfront libpgfront.a $(LIB_OBJS) $(DAEMON_OBJS) $(UNIT_BINS) \
	      $(LIB_OBJS:.o=.d) $(DAEMON_OBJS:.o=.d) $(UNIT_BINS:=.d) tests/shim/libfault.so

-include $(LIB_OBJS:.o=.d) $(DAEMON_OBJS:.o=.d)
