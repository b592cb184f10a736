# bench.mk - the benchmark suite (included by the top Makefile). Being written.
bench: all
	@echo "make bench: the suite is not built yet" >&2; false
