# tests.mk - extra build rules for tests (included by the top Makefile).
# Loader and runtime tests add their BPF C objects and fuzz targets here.
