# bench.mk - the benchmark suite (included by the top Makefile; see bench/README.md).
#
#   make bench         build everything below and run the suite (idle machine, please)
#   make bench-build   only build: kernels as BPF bytecode (.bin) and native objects, and the harness
#
# Every kernel in bench/kernels/ is compiled three ways: to BPF with clang
# (extracted to raw bytecode by bench/extract-bpf.sh), natively with gcc and
# natively with clang, each native object with its own symbol prefix. The
# harness bench/bench.c links the natives and the static library and finds the
# .bin files in the directory given on its command line. The map lookup part
# (bench/maps/, bench/bench_maps.c) adds a BPF object with maps and its native
# counterpart. Outputs: $(BUILD)/bench/.

LLVM_OBJDUMP   ?= llvm-objdump-19
BENCH_GCC      ?= $(CC)
BENCH_CLANG    ?= $(BPF_CLANG)
# v4 for sign-extending loads, sdiv/smod, gotol; the kernels also build with v3.
BENCH_BPF_CPU  ?= v4

BENCH_DIR      := $(BUILD)/bench
BENCH_KERNELS  := $(sort $(basename $(notdir $(wildcard bench/kernels/*.c))))
BENCH_BINS     := $(BENCH_KERNELS:%=$(BENCH_DIR)/%.bin)
BENCH_NATIVE   := $(BENCH_KERNELS:%=$(BENCH_DIR)/gcc/%.o) $(BENCH_KERNELS:%=$(BENCH_DIR)/clang/%.o)
BENCH_EXE      := $(BENCH_DIR)/bench
# Natives: plain -O2, no sanitizers and no -fPIC, as a C programmer would build them.
BENCH_KFLAGS   := -std=gnu11 -O2 $(WARN)

.PHONY: bench bench-build
# Keep the BPF objects (make would delete them as intermediates): llvm-objdump-19 -d them.
.SECONDARY: $(BENCH_KERNELS:%=$(BENCH_DIR)/bpf/%.o)
bench-build: $(BENCH_EXE) $(BENCH_BINS)

# The struct_ops link-update latency (issue 6): the cache demo with 4 workers
# calling ops while the link is switched 2000 times; median and p99.
bench: bench-build cache-demo
	$(BENCH_EXE) $(BENCH_DIR)
	@echo
	@echo "struct_ops link update under load (examples/cache/demo --quick --swaps 2000):"
	@$(CACHE_DEMO) --quick --swaps 2000 | grep -A1 'more link updates'

$(BENCH_DIR)/bpf/%.o: bench/kernels/%.c bench/kernels/kernel.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(BPF_CLANG) -O2 -target bpf -mcpu=$(BENCH_BPF_CPU) -ffreestanding -DBENCH_BPF $(WARN) -c $< -o $@

$(BENCH_DIR)/%.bin: $(BENCH_DIR)/bpf/%.o bench/extract-bpf.sh
	sh bench/extract-bpf.sh $(LLVM_OBJDUMP) $(LLVM_OBJCOPY) $< $* $@

$(BENCH_DIR)/gcc/%.o: bench/kernels/%.c bench/kernels/kernel.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(BENCH_GCC) $(BENCH_KFLAGS) -DKPREFIX=gcc_ -c $< -o $@

$(BENCH_DIR)/clang/%.o: bench/kernels/%.c bench/kernels/kernel.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(BENCH_CLANG) $(BENCH_KFLAGS) -DKPREFIX=clang_ -c $< -o $@

$(BENCH_DIR)/bench.o: bench/bench.c bench/bench_maps.h include/structops/vm.h include/structops/insn.h \
		src/struct_ops/thunk.h src/vm/func_model.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# Map lookups (bench/maps/): a BPF object with maps, loaded through the object
# loader into runtimes by bench_maps.c, against native tables in their own
# translation unit (plain -O2, like the kernels).
BENCH_MAPS_OBJ := $(BENCH_DIR)/maps.bpf.o
BENCH_MAPS_NAT := $(BENCH_DIR)/gcc/maps_native.o
BENCH_SYS_INC  := -I/usr/include/$(shell $(CC) -dumpmachine)

$(BENCH_MAPS_OBJ): bench/maps/maps.bpf.c bench/maps/maps.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(BPF_CLANG) -O2 -g -target bpf -mcpu=$(BENCH_BPF_CPU) $(BENCH_SYS_INC) $(WARN) -c $< -o $@

$(BENCH_MAPS_NAT): bench/maps/maps_native.c bench/maps/maps_native.h bench/maps/maps.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(BENCH_GCC) $(BENCH_KFLAGS) -c $< -o $@

$(BENCH_DIR)/bench_maps.o: bench/bench_maps.c bench/bench_maps.h bench/maps/maps_native.h bench/maps/maps.h \
		src/runtime/rt_internal.h include/structops/object.h include/structops/runtime.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Ibench -c $< -o $@

bench-build: $(BENCH_MAPS_OBJ)

# The verifier's timing against the kernel's (bench_verify.c).
$(BENCH_DIR)/bench_verify.o: bench/bench_verify.c bench/bench_verify.h include/structops/runtime.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Ibench -c $< -o $@

# The struct_ops op call end to end, verified vs native (bench_st.c).
$(BENCH_DIR)/bench_st.o: bench/bench_st.c bench/bench_st.h include/structops/struct_ops.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Ibench -c $< -o $@

$(BENCH_EXE): $(BENCH_DIR)/bench.o $(BENCH_DIR)/bench_maps.o $(BENCH_DIR)/bench_verify.o $(BENCH_DIR)/bench_st.o \
		$(BENCH_NATIVE) $(BENCH_MAPS_NAT) $(STATIC_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $(BENCH_DIR)/bench.o $(BENCH_DIR)/bench_maps.o $(BENCH_DIR)/bench_verify.o \
		$(BENCH_DIR)/bench_st.o \
		$(BENCH_NATIVE) $(BENCH_MAPS_NAT) $(STATIC_LIB) $(LIBS)
