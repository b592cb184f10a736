# examples.mk - the examples and `make demo` (included by the top Makefile). Being written.
demo: all
	@echo "make demo: not built yet" >&2; false
