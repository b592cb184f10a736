/* SPDX-License-Identifier: MIT */
/*
 * core_module.c - a module of the test host, for CO-RE candidates found only
 * in module BTF. pahole turns it into split BTF on the host's (tests/tests.mk),
 * as scripts/host-btf.sh --base does for a real module. Nothing here is run.
 */
#include "host_types.h"

/* Only in the module: CO-RE finds it after the host has no candidate. */
struct core_mod {
	int m1;
	int m2;
};

struct core_mod_anchor {
	struct core_mod *mod;
	struct core_s *s; /* a host type, from the base */
};

struct core_mod_anchor core_mod_anchor;
