/* SPDX-License-Identifier: MIT */
/*
 * probe.h - probe loads: host memory reads that give 0 where the address
 * faults (internal; see probe.c for the mechanism).
 */
#ifndef SOPS_VM_PROBE_H
#define SOPS_VM_PROBE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Install the fault handler probe loads rely on (once per process; later
 * calls return the first result). 0 or -errno from sigaction. Thread-safe.
 * Every engine that runs a program with probe loads calls it first.
 */
int sops_probe_init(void);

/* Read @addr; 0 when it faults. Async-signal-safe, lock-free; needs sops_probe_init(). */
uint8_t sops_probe_read_u8(uintptr_t addr);
uint16_t sops_probe_read_u16(uintptr_t addr);
uint32_t sops_probe_read_u32(uintptr_t addr);
uint64_t sops_probe_read_u64(uintptr_t addr);

/*
 * JIT stubs (x86-64): address in r11, the value read (zero- or sign-extended
 * to 64 bits) back in r11, no other register or flag touched. Called, never
 * jumped to. Not C functions: take their address only.
 */
void sops_probe_jit_u8(void);
void sops_probe_jit_u16(void);
void sops_probe_jit_u32(void);
void sops_probe_jit_u64(void);
void sops_probe_jit_s8(void);
void sops_probe_jit_s16(void);
void sops_probe_jit_s32(void);

/* Whether @rip is one of the probe load instructions (tests). */
bool sops_probe_fixup_addr(uintptr_t rip);

#endif /* SOPS_VM_PROBE_H */
