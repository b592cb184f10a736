/* SPDX-License-Identifier: MIT */
/*
 * bench_maps.h - the map lookup part of `make bench` (bench/bench_maps.c).
 */
#ifndef BENCH_BENCH_MAPS_H
#define BENCH_BENCH_MAPS_H

/*
 * Loads DIR/maps.bpf.o into runtimes, checks every engine's sums against the
 * native loops, times them and prints the table. Returns 0, or -1 on a
 * mismatch or failure (with a message).
 */
int bench_maps(const char *dir, int samples, double target_ns);

#endif /* BENCH_BENCH_MAPS_H */
