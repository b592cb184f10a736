# tests.mk - extra build rules for tests (included by the top Makefile).
#
# Loader tests (issue 4): a test host's BTF made the way docs/btf-and-programs.md
# tells hosts to (cc -g, then pahole), a header generated from it by
# `structops btf dump --format c`, the BPF C test programs of tests/bpf built
# for cpu v3 and v4 against that header, and the libFuzzer target over the
# ELF and BTF paths (run by tests/tool_object.sh within `make check`).

LOADER_TEST_DIR := $(BUILD)/tests/bpf
LOADER_HOST_BTF := $(LOADER_TEST_DIR)/host.btf
LOADER_BPF_SRCS := $(sort $(wildcard tests/bpf/*.bpf.c))
LOADER_BPF_OBJS := $(foreach s,$(LOADER_BPF_SRCS),\
	$(LOADER_TEST_DIR)/$(notdir $(s:.bpf.c=)).v3.o $(LOADER_TEST_DIR)/$(notdir $(s:.bpf.c=)).v4.o)
LOADER_SYS_INC  := -I/usr/include/$(shell $(CC) -dumpmachine)
BPF_TEST_CFLAGS := -g -O2 -target bpf -I$(LOADER_TEST_DIR) -Itests/bpf $(LOADER_SYS_INC) -Wall -Wno-unused-function
PAHOLE          ?= pahole
FUZZ_CC         ?= clang-19
FUZZ_LOADER     := $(BUILD)/tests/fuzz_loader
LOADER_LIB_SRCS := $(sort $(wildcard src/btf/*.c src/loader/*.c)) src/util/log.c

$(LOADER_TEST_DIR)/host_types.o: tests/bpf/host_types.c tests/bpf/host_types.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) -g -O1 -c $< -o $@

$(LOADER_HOST_BTF): $(LOADER_TEST_DIR)/host_types.o
	$(PAHOLE) --btf_encode_detached=$@ $<

# CO-RE tests (tests/test_core.c): a module of the test host whose split BTF
# sits on host.btf, for candidates found only in module BTF.
CORE_MOD_BTF := $(LOADER_TEST_DIR)/core_mod.btf

$(LOADER_TEST_DIR)/core_module.o: tests/bpf/core_module.c tests/bpf/host_types.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) -g -O1 -c $< -o $@

$(CORE_MOD_BTF): $(LOADER_TEST_DIR)/core_module.o $(LOADER_HOST_BTF)
	$(PAHOLE) --btf_base=$(LOADER_HOST_BTF) --btf_encode_detached=$@ $<

$(LOADER_TEST_DIR)/host.h: $(LOADER_HOST_BTF) $(TOOL)
	$(TOOL) btf dump --format c $< > $@.tmp && mv $@.tmp $@

$(LOADER_TEST_DIR)/%.v3.o: tests/bpf/%.bpf.c $(LOADER_TEST_DIR)/host.h
	$(BPF_CLANG) $(BPF_TEST_CFLAGS) -mcpu=v3 -c $< -o $@

$(LOADER_TEST_DIR)/%.v4.o: tests/bpf/%.bpf.c $(LOADER_TEST_DIR)/host.h
	$(BPF_CLANG) $(BPF_TEST_CFLAGS) -mcpu=v4 -c $< -o $@

.PHONY: loader-test-objs
loader-test-objs: $(LOADER_BPF_OBJS) $(LOADER_HOST_BTF) $(CORE_MOD_BTF)

# The unit tests read these at run time (next to the binary, in bpf/).
$(UNIT_TESTS): | $(LOADER_BPF_OBJS) $(LOADER_HOST_BTF) $(CORE_MOD_BTF)

# libFuzzer harness: the loader's sources built again with the fuzzer's instrumentation.
$(FUZZ_LOADER): tests/fuzz/fuzz_loader.c $(LOADER_LIB_SRCS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-std=gnu11 -Iinclude -Isrc -D_GNU_SOURCE -DSOPS_BUILD -o $@ $^ -lbpf -lelf -lz

check: $(FUZZ_LOADER) $(LOADER_BPF_OBJS) $(LOADER_HOST_BTF) $(CORE_MOD_BTF)
