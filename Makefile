# pgfront — see README.md. `make` builds ./pgfront; `make test` runs every test.
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
CFLAGS ?= -O2 -g
PKGS = inih libcurl openssl jansson
override CFLAGS += -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -I. -MMD -MP $(shell pkg-config --cflags $(PKGS))
LDLIBS = -lev $(shell pkg-config --libs $(PKGS)) -lm

LIB_SRCS = $(wildcard conf/*.c health/*.c proxy/*.c vrrp/*.c stats/*.c common/*.c)
LIB_OBJS = $(LIB_SRCS:.c=.o)
UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(UNIT_SRCS:.c=)
PYTEST = /usr/bin/python3 -m pytest

.PHONY: all deps test unit-test integration-test demo drill soak bench install clean

all: pgfront

libpgfront.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

pgfront: daemon/main.o daemon/ctl.o libpgfront.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

tests/unit/test_%: tests/unit/test_%.c libpgfront.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

deps:
	scripts/install-deps

unit-test: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done
	$(MAKE) -C bench test

integration-test: pgfront
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

install: pgfront
	install -D -m 0755 pgfront $(DESTDIR)$(PREFIX)/sbin/pgfront
	install -D -m 0644 examples/pgfront.ini $(DESTDIR)$(PREFIX)/share/doc/pgfront/pgfront.ini.example

clean:
	$(MAKE) -C bench clean
	rm -f pgfront libpgfront.a $(LIB_OBJS) daemon/main.o daemon/ctl.o $(UNIT_BINS) \
	      $(LIB_OBJS:.o=.d) daemon/main.d daemon/ctl.d $(UNIT_BINS:=.d)

-include $(LIB_OBJS:.o=.d) daemon/main.d daemon/ctl.d
