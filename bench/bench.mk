# bench.mk - the benchmark suite (included by the top Makefile; see bench/README.md).
#
#   make bench         build everything below and run the suite (idle machine, please)
#   make bench-build   only build: kernels as BPF bytecode (.bin) and native objects, and the harness
#
# Every kernel in bench/kernels/ is compiled three ways: to BPF with clang
# (extracted to raw bytecode by bench/extract-bpf.sh), natively with gcc and
# natively with clang, each native object with its own symbol prefix. The
# harness bench/bench.c links the natives and the static library and finds the
# .bin files in the directory given on its command line. Outputs: $(BUILD)/bench/.

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

bench: bench-build
	$(BENCH_EXE) $(BENCH_DIR)

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

$(BENCH_DIR)/bench.o: bench/bench.c include/structops/vm.h include/structops/insn.h \
		src/struct_ops/thunk.h src/vm/func_model.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BENCH_EXE): $(BENCH_DIR)/bench.o $(BENCH_NATIVE) $(STATIC_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $(BENCH_DIR)/bench.o $(BENCH_NATIVE) $(STATIC_LIB) $(LIBS)
