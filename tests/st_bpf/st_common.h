/* SPDX-License-Identifier: MIT */
/*
 * st_common.h - what every scenario test program includes. Programs for the
 * test module's types define ST_TESTMOD first: they get the module's header
 * (module types plus the host types they use, from `structops btf dump --base`)
 * and declare the host kfuncs they call themselves, as kernel selftests do
 * for module programs. Others get the host's header (the vmlinux.h analogue).
 */
#ifndef ST_COMMON_H
#define ST_COMMON_H

#include <linux/types.h>
#include <linux/bpf.h>
#ifdef ST_TESTMOD
#include "st_testmod.h"
extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
extern struct cgroup *bpf_cgroup_acquire(struct cgroup *cgrp) __ksym;
extern void bpf_cgroup_release(struct cgroup *cgrp) __ksym;
#else
#include "st_vmlinux.h"
#endif
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define MAP_A_MAGIC 1234
#define MAP_B_MAGIC 5678

#endif
