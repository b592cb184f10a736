# structops - userspace BPF struct_ops.
#
#   make            library (static + shared) and the structops tool
#   make check      build and run every test          (make check-asan: same under ASan+UBSan)
#   make demo       the main job
#   make bench      the benchmark suite (run it on an idle machine)
#   make install    headers, libraries, tool, pkg-config file, share/structops/host-btf.sh
#                   (PREFIX=/usr/local, DESTDIR=)
#
# Plain make on purpose: one file, no generator, easy to embed or to copy the
# source list from. Objects and binaries go to $(BUILD) (default build/).

BUILD     ?= build
PREFIX    ?= /usr/local
DESTDIR   ?=
CC        ?= cc
BPF_CLANG ?= clang-19
LLVM_OBJCOPY ?= llvm-objcopy-19
VERSION   := 0.1.0

WARN      := -Wall -Wextra -Wshadow -Wno-unused-parameter -Wstrict-prototypes -Wmissing-prototypes
CFLAGS    ?= -O2 -g
SAN_FLAGS ?=
ALL_CFLAGS = -std=gnu11 -fPIC -fvisibility=hidden $(WARN) $(CFLAGS) $(SAN_FLAGS) \
	     -Iinclude -Isrc -D_GNU_SOURCE -DSOPS_BUILD
LDFLAGS   ?=
ALL_LDFLAGS = $(LDFLAGS) $(SAN_FLAGS)
# libbpf (BTF), libelf (ELF objects), zlib (libbpf needs it), liburcu (RCU), libffi (thunks)
LIBS      := -lbpf -lelf -lz -lffi -lm -lpthread -lurcu-bp -ldl

LIB_SRCS  := $(sort $(wildcard src/*/*.c))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
TOOL_SRCS := $(sort $(wildcard tools/*.c))
TOOL_OBJS := $(TOOL_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_SRCS := $(sort $(wildcard tests/*.c))
TEST_OBJS := $(TEST_SRCS:%.c=$(BUILD)/obj/%.o)

STATIC_LIB := $(BUILD)/libstructops.a
SHARED_LIB := $(BUILD)/libstructops.so
TOOL       := $(BUILD)/structops
UNIT_TESTS := $(BUILD)/tests/unit
DEPS_STAMP := $(BUILD)/.deps-ok

.PHONY: all deps check check-asan demo bench install uninstall clean
all: $(STATIC_LIB) $(SHARED_LIB) $(TOOL)

# Installs missing Debian packages once per build tree (scripts/install-deps.sh).
deps: $(DEPS_STAMP)
$(DEPS_STAMP): scripts/install-deps.sh
	@mkdir -p $(@D)
	@sh scripts/install-deps.sh
	@touch $@

$(BUILD)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(STATIC_LIB): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(SHARED_LIB): $(LIB_OBJS)
	$(CC) -shared -Wl,-soname,libstructops.so.0 $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(TOOL): $(TOOL_OBJS) $(STATIC_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $(TOOL_OBJS) $(STATIC_LIB) $(LIBS)

$(UNIT_TESTS): $(TEST_OBJS) $(STATIC_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(TEST_OBJS) $(STATIC_LIB) $(LIBS)

# The test binaries reach into the library's internals, so they see hidden symbols
# through the static archive, never through the shared object.
check: $(UNIT_TESTS) $(TOOL)
	@SAN_FLAGS="$(SAN_FLAGS)" sh tests/run.sh $(BUILD)

check-asan:
	$(MAKE) BUILD=build-asan CFLAGS="-O1 -g" \
		SAN_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" check

include tests/tests.mk
include bench/bench.mk
include examples/examples.mk

install: all
	install -d $(DESTDIR)$(PREFIX)/include/structops $(DESTDIR)$(PREFIX)/lib \
		$(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 include/structops/*.h $(DESTDIR)$(PREFIX)/include/structops/
	install -m 644 $(STATIC_LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(SHARED_LIB) $(DESTDIR)$(PREFIX)/lib/libstructops.so.$(VERSION)
	ln -sf libstructops.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libstructops.so.0
	ln -sf libstructops.so.0 $(DESTDIR)$(PREFIX)/lib/libstructops.so
	install -m 755 $(TOOL) $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/share/structops
	install -m 755 scripts/host-btf.sh $(DESTDIR)$(PREFIX)/share/structops/host-btf.sh
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' structops.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/structops.pc

uninstall:
	rm -rf $(DESTDIR)$(PREFIX)/include/structops
	rm -rf $(DESTDIR)$(PREFIX)/share/structops
	rm -f $(DESTDIR)$(PREFIX)/lib/libstructops.* $(DESTDIR)$(PREFIX)/bin/structops \
		$(DESTDIR)$(PREFIX)/lib/pkgconfig/structops.pc

clean:
	rm -rf build build-asan

-include $(LIB_OBJS:.o=.d) $(TOOL_OBJS:.o=.d) $(TEST_OBJS:.o=.d)
