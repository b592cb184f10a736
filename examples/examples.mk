# examples.mk - the examples and `make demo` (included by the top Makefile).
#
# `make demo` builds and runs the cache example (examples/cache/README.md):
#
#   1. the host (cache.c, cache_struct_ops.c) compiled with -g, always;
#   2. its BTF: the host objects linked together (ld -r), then pahole
#      --btf_encode_detached (docs/btf-and-programs.md), embedded into the
#      demo executable as a .BTF section (objcopy), where the demo finds it
#      with sops_btf__load_self();
#   3. cache_host.h from that BTF (`structops btf dump --format c`), which
#      the BPF policies include, as kernel programs include vmlinux.h;
#   4. the policies (examples/cache/policies/*.bpf.c) with clang -target bpf;
#   5. their skeletons (lru.skel.h, lfu.skel.h: `structops gen skeleton`), which
#      embed the objects; demo.c includes them (no policy file at run time);
#   6. run: build/examples/cache/demo (tests/tool_demo.sh runs it with --quick).
#
# examples/isa_demo.c (the ISA core end to end) is still built by `make examples`.

EXAMPLES := $(BUILD)/examples/isa_demo

$(BUILD)/examples/%: $(BUILD)/obj/examples/%.o $(STATIC_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(STATIC_LIB) $(LIBS)

# Keep example objects: make would otherwise delete them as intermediates.
.SECONDARY: $(EXAMPLES:$(BUILD)/examples/%=$(BUILD)/obj/examples/%.o)

CACHE_DIR       := $(BUILD)/examples/cache
CACHE_DEMO      := $(CACHE_DIR)/demo
CACHE_HOST_OBJS := $(addprefix $(BUILD)/obj/examples/cache/,cache.o cache_struct_ops.o)
CACHE_DEMO_OBJS := $(addprefix $(BUILD)/obj/examples/cache/,demo.o workload.o native_policy.o)
CACHE_BTF       := $(CACHE_DIR)/cache.btf
CACHE_BPF_HDR   := $(CACHE_DIR)/cache_host.h
CACHE_POLICIES  := $(patsubst examples/cache/policies/%.bpf.c,$(CACHE_DIR)/policies/%.bpf.o,\
			$(sort $(wildcard examples/cache/policies/*.bpf.c)))
CACHE_SKELS     := $(CACHE_POLICIES:$(CACHE_DIR)/policies/%.bpf.o=$(CACHE_DIR)/%.skel.h)
CACHE_BPF_FLAGS := -g -O2 -target bpf -mcpu=v3 -Wall -Wno-unused-function \
		   -I$(CACHE_DIR) -Iexamples/cache/policies -I/usr/include/$(shell $(CC) -dumpmachine)
PAHOLE          ?= pahole
OBJCOPY         ?= objcopy

# The host must carry DWARF whatever CFLAGS says: its BTF is made from it.
$(BUILD)/obj/examples/cache/%.o: examples/cache/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -g -MMD -MP -c $< -o $@

$(CACHE_DIR)/cache_host.o: $(CACHE_HOST_OBJS)
	@mkdir -p $(@D)
	$(LD) -r -o $@ $^

$(CACHE_BTF): $(CACHE_DIR)/cache_host.o
	$(PAHOLE) --btf_encode_detached=$@ $<

# The cache registers no kfuncs, so the header declares none (no --kfuncs).
$(CACHE_BPF_HDR): $(CACHE_BTF) $(TOOL)
	$(TOOL) btf dump --format c $< > $@.tmp && mv $@.tmp $@

$(CACHE_DIR)/policies/%.bpf.o: examples/cache/policies/%.bpf.c examples/cache/policies/policy.h \
			       $(CACHE_BPF_HDR)
	@mkdir -p $(@D)
	$(BPF_CLANG) $(CACHE_BPF_FLAGS) -c $< -o $@

# Skeletons of the policies (the default name: lru.bpf.o -> struct lru_bpf).
$(CACHE_DIR)/%.skel.h: $(CACHE_DIR)/policies/%.bpf.o $(TOOL)
	$(TOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/examples/cache/demo.o: $(CACHE_SKELS)
$(BUILD)/obj/examples/cache/demo.o: ALL_CFLAGS += -I$(CACHE_DIR)

# Link, then embed the host BTF so that the executable describes itself.
$(CACHE_DEMO): $(CACHE_DEMO_OBJS) $(CACHE_HOST_OBJS) $(STATIC_LIB) $(CACHE_BTF)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@.tmp $(CACHE_DEMO_OBJS) $(CACHE_HOST_OBJS) $(STATIC_LIB) $(LIBS)
	$(OBJCOPY) --add-section .BTF=$(CACHE_BTF) --set-section-flags .BTF=readonly $@.tmp
	mv $@.tmp $@

# The host author's path (docs/struct_ops.md quotes it), examples/ratelimit:
# the host's exposed types in one translation unit (ratelimit_host.c) built
# with -g; its BTF by scripts/host-btf.sh from that object; the program
# header with the one kfunc the host registers; the policy built by clang;
# tests/tool_ratelimit.sh runs it and checks its output within `make check`.
RL_DIR    := $(BUILD)/examples/ratelimit
RL_OBJS   := $(addprefix $(BUILD)/obj/examples/ratelimit/,main.o ratelimit_host.o)
RL_BTF    := $(RL_DIR)/ratelimit.btf
RL_HDR    := $(RL_DIR)/ratelimit_host.h
RL_POLICY := $(RL_DIR)/policy.bpf.o
RL_HOST   := $(RL_DIR)/ratelimit

$(BUILD)/obj/examples/ratelimit/%.o: examples/ratelimit/%.c examples/ratelimit/ratelimit.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -g -MMD -MP -c $< -o $@

$(RL_BTF): $(BUILD)/obj/examples/ratelimit/ratelimit_host.o scripts/host-btf.sh
	@mkdir -p $(@D)
	sh scripts/host-btf.sh $< $@

$(RL_HDR): $(RL_BTF) $(TOOL)
	$(TOOL) btf dump --format c $< --kfuncs rl_budget > $@.tmp && mv $@.tmp $@

$(RL_POLICY): examples/ratelimit/policy.bpf.c $(RL_HDR)
	$(BPF_CLANG) -g -O2 -target bpf -mcpu=v3 -Wall -I$(RL_DIR) \
		-I/usr/include/$(shell $(CC) -dumpmachine) -c $< -o $@

$(RL_HOST): $(RL_OBJS) $(STATIC_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(RL_OBJS) $(STATIC_LIB) $(LIBS)

.PHONY: ratelimit-example
ratelimit-example: $(RL_HOST) $(RL_POLICY) $(RL_BTF)
check: ratelimit-example

.PHONY: examples cache-demo
cache-demo: $(CACHE_DEMO) $(CACHE_POLICIES)
examples: $(EXAMPLES) cache-demo ratelimit-example

# tests/tool_demo.sh runs the demo in its short mode.
check: cache-demo

demo: all examples
	@$(CACHE_DEMO)

-include $(CACHE_HOST_OBJS:.o=.d) $(CACHE_DEMO_OBJS:.o=.d) $(RL_OBJS:.o=.d)
