/* SPDX-License-Identifier: MIT */
/* bench_st.h - the struct_ops op call end to end (bench_st.c). */
#ifndef SOPS_BENCH_ST_H
#define SOPS_BENCH_ST_H

/* Run and print the comparison; 0, or -1 when something could not be built or gave a wrong result. */
int bench_st_call(int samples);

#endif
