# examples.mk - the examples and `make demo` (included by the top Makefile).
#
# Until the struct_ops example host exists, the demo is the ISA core end to end
# (examples/isa_demo.c).

EXAMPLES := $(BUILD)/examples/isa_demo

$(BUILD)/examples/%: $(BUILD)/obj/examples/%.o $(STATIC_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(STATIC_LIB) $(LIBS)

.PHONY: examples
examples: $(EXAMPLES)

# Keep example objects: make would otherwise delete them as intermediates.
.SECONDARY: $(EXAMPLES:$(BUILD)/examples/%=$(BUILD)/obj/examples/%.o)

demo: all $(EXAMPLES)
	@$(BUILD)/examples/isa_demo
