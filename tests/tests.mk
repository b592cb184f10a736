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
LOADER_LIB_SRCS := $(sort $(wildcard src/btf/*.c src/loader/*.c)) src/util/log.c src/util/file.c

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

# The kfuncs the loader tests' programs call (the header declares only these).
LOADER_KFUNCS := sops_test_kfunc,sops_test_kfunc_ctx

$(LOADER_TEST_DIR)/host.h: $(LOADER_HOST_BTF) $(TOOL)
	$(TOOL) btf dump --format c $< --kfuncs $(LOADER_KFUNCS) > $@.tmp && mv $@.tmp $@

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

# The sandbox fuzzer (tests/fuzz/fuzz_checked.c): random programs with random
# helper calls in checked mode, over the whole library; tests/tool_redteam.sh runs it.
# Programs may pass misaligned keys and values, which x86-64 (like the kernel
# there) accepts, so UBSan's alignment check is off; ASan still sees every byte.
FUZZ_CHECKED := $(BUILD)/tests/fuzz_checked
$(FUZZ_CHECKED): tests/fuzz/fuzz_checked.c $(LIB_SRCS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize=alignment \
		-fno-sanitize-recover=all \
		-std=gnu11 -Iinclude -Isrc -D_GNU_SOURCE -DSOPS_BUILD -o $@ $^ $(LIBS)

check: $(FUZZ_CHECKED)

# The verifier's fuzzer (tests/fuzz/fuzz_verifier.c): random programs of the
# verifier's whole vocabulary; what it accepts must never fault in the checked
# interpreter and must give the JIT's results. tests/tool_fuzz_verifier.sh runs it.
FUZZ_VERIFIER := $(BUILD)/tests/fuzz_verifier
# UBSan's function check reads a type hash in front of each called function,
# which JIT images do not have (clang's -fsanitize=function), so it is off too.
$(FUZZ_VERIFIER): tests/fuzz/fuzz_verifier.c $(LIB_SRCS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize=alignment,function \
		-fno-sanitize-recover=all \
		-std=gnu11 -Iinclude -Isrc -D_GNU_SOURCE -DSOPS_BUILD -o $@ $^ $(LIBS)

check: $(FUZZ_VERIFIER)

# struct_ops acceptance tests (tests/test_st_scenarios.c, docs/struct_ops-scenarios.md).
# The test host (tests/testmod/st_host.c) is linked into the unit binary and
# compiled once more with -g for its BTF (the role of vmlinux); the test module
# (tests/testmod/bpf_testmod.c, the role of bpf_testmod) is a real shared
# object whose BTF, split on the host's by pahole --btf_base, is embedded as
# its .BTF section; headers for the BPF programs come from
# `structops btf dump --format c`; tests/st_bpf/*.bpf.c are built for cpu v3
# and v4. The unit binary exports its symbols (-rdynamic) so that modules
# resolve the library's API against the copy linked into it.
ST_DIR      := $(BUILD)/tests/st
ST_HOST_BTF := $(ST_DIR)/st_host.btf
ST_MODULES  := $(ST_DIR)/bpf_testmod.so $(ST_DIR)/bpf_test_no_cfi.so
ST_BPF_SRCS := $(sort $(wildcard tests/st_bpf/*.bpf.c))
ST_BPF_OBJS := $(foreach s,$(ST_BPF_SRCS),\
	$(ST_DIR)/$(notdir $(s:.bpf.c=)).v3.o $(ST_DIR)/$(notdir $(s:.bpf.c=)).v4.o)
ST_BPF_CFLAGS := -g -O2 -target bpf -I$(ST_DIR) -Itests/st_bpf $(LOADER_SYS_INC) -Wall \
	-Wno-unused-function -Wno-missing-declarations
ST_TOOL       ?= $(TOOL)
ST_MOD_CFLAGS := -std=gnu11 -g -O1 -fPIC -shared -Wall -Iinclude -Itests/testmod

TEST_OBJS += $(BUILD)/obj/tests/testmod/st_host.o
$(UNIT_TESTS): $(BUILD)/obj/tests/testmod/st_host.o
$(UNIT_TESTS): ALL_LDFLAGS += -rdynamic

$(ST_DIR)/st_host_btf.o: tests/testmod/st_host.c tests/testmod/st_host.h tests/testmod/st_host_api.h \
		include/structops/struct_ops.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -g -O1 -Iinclude -Isrc -D_GNU_SOURCE -DST_HOST_FOR_BTF -c $< -o $@

$(ST_HOST_BTF): $(ST_DIR)/st_host_btf.o
	$(PAHOLE) --btf_encode_detached=$@ $<

# The kfuncs st_host.c registers (st_host_setup), the only functions the header declares.
ST_HOST_KFUNCS := bpf_task_acquire,bpf_task_release,bpf_cgroup_acquire,bpf_cgroup_release,\
	bpf_dummy_sleepable_kfunc,tcp_reno_ssthresh,tcp_reno_undo_cwnd,tcp_reno_cong_avoid,\
	sched_task_acquire,sched_task_release,sched_pick_idle_cpu,sched_clock_sleepable

$(ST_DIR)/st_vmlinux.h: $(ST_HOST_BTF) $(ST_TOOL)
	$(ST_TOOL) btf dump --format c $< --kfuncs $(subst $(eval) ,,$(ST_HOST_KFUNCS)) > $@.tmp && mv $@.tmp $@

# A module: cc -g -fPIC -shared, then pahole split BTF on the host's, embedded as .BTF.
$(ST_DIR)/%.so: tests/testmod/%.c tests/testmod/bpf_testmod.h tests/testmod/st_host.h \
		include/structops/struct_ops.h $(ST_HOST_BTF)
	@mkdir -p $(@D)
	$(CC) $(ST_MOD_CFLAGS) -o $@.tmp.so $<
	$(PAHOLE) --btf_base=$(ST_HOST_BTF) --btf_encode_detached=$(@:.so=.btf) $@.tmp.so
	objcopy --add-section .BTF=$(@:.so=.btf) --set-section-flags .BTF=readonly $@.tmp.so $@
	rm -f $@.tmp.so

$(ST_DIR)/st_testmod.h: $(ST_DIR)/bpf_testmod.so $(ST_TOOL)
	$(ST_TOOL) btf dump --format c $(ST_DIR)/bpf_testmod.btf --base $(ST_HOST_BTF) \
		--kfuncs bpf_kfunc_multi_st_ops_test_1_assoc > $@.tmp && mv $@.tmp $@

$(ST_DIR)/%.v3.o: tests/st_bpf/%.bpf.c $(wildcard tests/st_bpf/*.h) $(ST_DIR)/st_vmlinux.h $(ST_DIR)/st_testmod.h
	$(BPF_CLANG) $(ST_BPF_CFLAGS) -mcpu=v3 -c $< -o $@

$(ST_DIR)/%.v4.o: tests/st_bpf/%.bpf.c $(wildcard tests/st_bpf/*.h) $(ST_DIR)/st_vmlinux.h $(ST_DIR)/st_testmod.h
	$(BPF_CLANG) $(ST_BPF_CFLAGS) -mcpu=v4 -c $< -o $@

.PHONY: st-test-objs
st-test-objs: $(ST_BPF_OBJS) $(ST_MODULES) $(ST_HOST_BTF)

$(UNIT_TESTS): | $(ST_BPF_OBJS) $(ST_MODULES) $(ST_HOST_BTF)
check: $(ST_BPF_OBJS) $(ST_MODULES)

# struct_ops core unit tests (tests/test_st_*.c): a minimal module whose BTF
# the test writes itself (standalone), so it needs no pahole step.
ST_MOD_SO := $(BUILD)/tests/st_mod/st_mod.so

$(ST_MOD_SO): tests/st_mod/st_mod.c include/structops/struct_ops.h
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -g -O1 -fPIC -shared -Wall -Iinclude $(SAN_FLAGS) -o $@ $<

$(UNIT_TESTS): | $(ST_MOD_SO)
check: $(ST_MOD_SO)
