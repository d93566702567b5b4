# AllTalk server: build, test, install.  See README.md.
PREFIX	?= /usr/local
DESTDIR	?=
CC	?= cc
SANITIZE ?=

WARN	= -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	  -Wpointer-arith -Wcast-qual -Wformat=2 -Werror
CFLAGS	?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DOPENSSL_SUPPRESS_DEPRECATED \
	  $(WARN) $(CFLAGS) -iquote lib
ifeq ($(SANITIZE),1)
BUILD	?= build-san
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	  -fno-sanitize-recover=undefined
ALL_LDFLAGS = -fsanitize=address,undefined
else
BUILD	?= build
ALL_CFLAGS += -D_FORTIFY_SOURCE=2 -fstack-protector-strong
ALL_LDFLAGS =
endif
# libcrypto is linked statically: the session is a new process for every
# connection, and relocating the shared libcrypto costs about 0.7 ms of CPU
# per connection, more than the rest of a short session (see bench/).
LDLIBS	= -lgdbm -Wl,-Bstatic -lcrypto -Wl,-Bdynamic -ldl -pthread

LIB_SRC	= $(wildcard lib/*.c)
LIB_OBJ	= $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
SES_SRC	= $(filter-out alltalk-session/main.c,$(wildcard alltalk-session/*.c))
SES_OBJ	= $(SES_SRC:%.c=$(BUILD)/obj/%.o)
ADM_SRC	= $(wildcard alltalk-admin/*.c)
ADM_OBJ	= $(ADM_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_SRC = $(wildcard tests/unit/*.c)
UNIT_OBJ = $(UNIT_SRC:%.c=$(BUILD)/obj/%.o)
PROGS	= $(BUILD)/alltalk-session $(BUILD)/alltalk-admin
MANS	= $(wildcard man/*.[0-9])

.PHONY: all check unit integration manlint bench demo install clean deps
all: $(PROGS)

$(BUILD)/obj/%.o: %.c $(wildcard lib/*.h alltalk-session/*.h alltalk-admin/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/liballtalk.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libsession.a: $(SES_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/alltalk-session: $(BUILD)/obj/alltalk-session/main.o $(BUILD)/libsession.a $(BUILD)/liballtalk.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/alltalk-admin: $(ADM_OBJ) $(BUILD)/liballtalk.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/unit/run: $(UNIT_OBJ) $(BUILD)/libsession.a $(BUILD)/liballtalk.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS) $$(pkg-config --libs check)

check: deps all $(BUILD)/tests/unit/run
	$(MAKE) --no-print-directory unit integration manlint

unit: $(BUILD)/tests/unit/run
	cd tests/unit && ALLTALK_BUILD=$(CURDIR)/$(BUILD) $(CURDIR)/$(BUILD)/tests/unit/run

integration: all
	ALLTALK_BUILD=$(CURDIR)/$(BUILD) python3 tests/integration/run.py

manlint:
	mandoc -Tlint -W warning $(MANS)
	@echo "manlint: $(words $(MANS)) passed, 0 failed"

$(BUILD)/bench/loadgen: bench/loadgen.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< -lcrypto -lpthread

$(BUILD)/bench/noop-handler: bench/noop-handler.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $<

bench: deps all $(BUILD)/bench/loadgen $(BUILD)/bench/noop-handler
	ALLTALK_BUILD=$(CURDIR)/$(BUILD) sh bench/run.sh

demo: deps all
	ALLTALK_BUILD=$(CURDIR)/$(BUILD) sh tests/demo.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man5 \
	  $(DESTDIR)$(PREFIX)/share/man/man7 $(DESTDIR)$(PREFIX)/share/man/man8 \
	  $(DESTDIR)$(PREFIX)/share/alltalk/xinetd.d
	install -m 0755 $(PROGS) $(DESTDIR)$(PREFIX)/sbin/
	for m in $(MANS); do \
	  s=$${m##*.}; install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/; \
	done
	install -m 0644 etc/alltalk.conf $(DESTDIR)$(PREFIX)/share/alltalk/
	install -m 0644 etc/xinetd.d/alltalk $(DESTDIR)$(PREFIX)/share/alltalk/xinetd.d/

clean:
	rm -rf build build-san

# Debian packages needed to build, test and run; installed when missing.
DEBS	= gcc make pkg-config libssl-dev libgdbm-dev check libsubunit-dev \
	  xinetd swaks python3 mandoc openssl netcat-openbsd
deps:
	@missing=""; for p in $(DEBS); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "deps: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $$missing; \
	else \
	  echo "deps: missing packages; run as root:"; \
	  echo "  apt-get install$$missing"; exit 1; \
	fi
