/* SPDX-License-Identifier: MIT */
/* hex.h - the value of one hex digit (internal; shared by the assembler and the tool). */
#ifndef SOPS_UTIL_HEX_H
#define SOPS_UTIL_HEX_H

/* 0-15 for a hex digit of either case, -1 for anything else. */
static inline int hex_digit_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif /* SOPS_UTIL_HEX_H */
