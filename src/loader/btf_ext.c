/* SPDX-License-Identifier: MIT */
/*
 * btf_ext.c - .BTF.ext: func_info, line_info and CO-RE relocation records.
 *
 * libbpf's btf_ext__new() validates the header and the record sections; its
 * records are not reachable through the public API, so this file walks the
 * same bytes (each walk bounds-checked again) to hand records out per ELF
 * section. Instruction offsets in the file are in bytes; the records given
 * to programs are in slots of their final instructions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "loader_internal.h"

enum { EXT_FUNC, EXT_LINE, EXT_CORE, EXT_CNT };

struct btf_ext_info {
	struct {
		const uint8_t *start;
		uint32_t len;
		uint32_t rec_size;
	} sec[EXT_CNT];
};

void btf_ext_free(struct btf_ext_info *ext)
{
	free(ext);
}

int btf_ext_open(struct sops_object *obj)
{
	static const uint32_t min_rec[EXT_CNT] = { 8, 16, 16 };
	const struct obj_sec *s;
	struct btf_ext_info info = { 0 };
	struct btf_ext *lib;
	uint32_t hdr_len;

	if (!obj->btf_ext_sec)
		return 0;
	s = &obj->secs[obj->btf_ext_sec];
	if (!obj->btf)
		return log_err(&obj->log, -EINVAL, ".BTF.ext without .BTF");
	if (!s->data || s->size < 24 || s->size > UINT32_MAX)
		return log_err(&obj->log, -EINVAL, ".BTF.ext: %zu bytes is too short for its header", s->size);
	lib = btf_ext__new(s->data, (uint32_t)s->size);
	if (!lib)
		return log_err(&obj->log, -EINVAL, ".BTF.ext is malformed (libbpf rejects its header or records)");
	btf_ext__free(lib);
	hdr_len = rd32(s->data + 4);
	if (hdr_len < 24 || hdr_len > s->size)
		return log_err(&obj->log, -EINVAL, ".BTF.ext: header length %u is out of bounds", hdr_len);
	for (int k = 0; k < EXT_CNT; k++) {
		uint32_t off, len, rs;

		if ((uint32_t)(16 + 8 * k) > hdr_len)
			break; /* old header without CO-RE records */
		off = rd32(s->data + 8 + 8 * k);
		len = rd32(s->data + 12 + 8 * k);
		if (!len)
			continue;
		if ((uint64_t)hdr_len + off + len > s->size || len < 4)
			return log_err(&obj->log, -EINVAL, ".BTF.ext: record section %d is out of bounds", k);
		rs = rd32(s->data + hdr_len + off);
		if (rs < min_rec[k] || rs > 1024)
			return log_err(&obj->log, -EINVAL, ".BTF.ext: record size %u of section %d is invalid",
				       rs, k);
		info.sec[k].start = s->data + hdr_len + off + 4;
		info.sec[k].len = len - 4;
		info.sec[k].rec_size = rs;
	}
	obj->ext = malloc(sizeof(*obj->ext));
	if (!obj->ext)
		return log_err(&obj->log, -ENOMEM, "out of memory");
	*obj->ext = info;
	return 0;
}

/* The records of ELF section @name in record section @k: pointer, count and record size. */
static const uint8_t *find_recs(const struct sops_object *obj, int k, const char *name, uint32_t *cnt,
				uint32_t *rec_size)
{
	const struct btf_ext_info *ext = obj->ext;
	const uint8_t *p, *end;

	*cnt = 0;
	*rec_size = ext ? ext->sec[k].rec_size : 0;
	if (!ext || !ext->sec[k].start)
		return NULL;
	p = ext->sec[k].start;
	end = p + ext->sec[k].len;
	while (end - p >= 8) {
		const char *sec = btf__name_by_offset(obj->btf->btf, rd32(p));
		uint32_t n = rd32(p + 4);

		p += 8;
		if ((uint64_t)n * ext->sec[k].rec_size > (uint64_t)(end - p))
			return NULL; /* truncated: btf_ext__new already refused this */
		if (sec && !strcmp(sec, name)) {
			*cnt = n;
			return p;
		}
		p += (size_t)n * ext->sec[k].rec_size;
	}
	return NULL;
}

/* CO-RE records of @sec: pointer, count, record size (for core.c). */
const uint8_t *btf_ext_core_recs(const struct sops_object *obj, const char *sec, uint32_t *cnt,
				 uint32_t *rec_size)
{
	return find_recs(obj, EXT_CORE, sec, cnt, rec_size);
}

int btf_ext_add_prog_info(struct sops_object *obj, struct sops_program *prog, uint32_t sec,
			  uint32_t sec_off, uint32_t cnt, uint32_t pos)
{
	const char *name = obj->secs[sec].name;
	uint32_t n, rs;
	const uint8_t *p;

	p = find_recs(obj, EXT_FUNC, name, &n, &rs);
	for (uint32_t i = 0; p && i < n; i++, p += rs) {
		uint32_t off = rd32(p) / SOPS_INSN_SIZE;
		struct sops_func_info *arr;

		if (off < sec_off || off >= sec_off + cnt)
			continue;
		arr = realloc(prog->func_info, (prog->func_info_cnt + 1) * sizeof(*arr));
		if (!arr)
			return -ENOMEM;
		prog->func_info = arr;
		arr[prog->func_info_cnt++] = (struct sops_func_info){ pos + off - sec_off, rd32(p + 4) };
	}
	p = find_recs(obj, EXT_LINE, name, &n, &rs);
	for (uint32_t i = 0; p && i < n; i++, p += rs) {
		uint32_t off = rd32(p) / SOPS_INSN_SIZE, col = rd32(p + 12);
		const char *file = btf__name_by_offset(obj->btf->btf, rd32(p + 4));
		const char *line = btf__name_by_offset(obj->btf->btf, rd32(p + 8));
		struct sops_line_info *arr;

		if (off < sec_off || off >= sec_off + cnt)
			continue;
		arr = realloc(prog->line_info, (prog->line_info_cnt + 1) * sizeof(*arr));
		if (!arr)
			return -ENOMEM;
		prog->line_info = arr;
		arr[prog->line_info_cnt++] = (struct sops_line_info){
			pos + off - sec_off, file ? file : "", line ? line : "", col >> 10, col & 0x3ff
		};
	}
	return 0;
}
