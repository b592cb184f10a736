/* SPDX-License-Identifier: MIT */
/*
 * cmd_object.c - `structops object show|dump FILE.o [--btf HOST_BTF [--base BASE]]`.
 *
 * Opens a BPF object with the loader (include/structops/object.h) and lists
 * its programs and maps. With --btf the object is also loaded against that
 * host BTF (relocated, struct_ops resolved, nothing handed to a runtime), so
 * instruction counts are final and struct_ops programs show the struct and
 * member they attach to.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/btf.h>

#include <structops/asm.h>
#include <structops/btf.h>
#include <structops/object.h>

#include "commands.h"

static const char *const map_types[] = {
	"unspec", "hash", "array", "prog_array", "perf_event_array", "percpu_hash",
	"percpu_array", "stack_trace", "cgroup_array", "lru_hash", "lru_percpu_hash",
	"lpm_trie", "array_of_maps", "hash_of_maps", "devmap", "sockmap", "cpumap",
	"xskmap", "sockhash", "cgroup_storage", "reuseport_sockarray",
	"percpu_cgroup_storage", "queue", "stack", "sk_storage", "devmap_hash",
	"struct_ops", "ringbuf", "inode_storage", "task_storage", "bloom_filter",
	"user_ringbuf", "cgrp_storage", "arena",
};

static const char *map_type_name(uint32_t t)
{
	return t < sizeof(map_types) / sizeof(map_types[0]) ? map_types[t] : "unknown";
}

static const char *prog_type_name(enum sops_prog_type t)
{
	switch (t) {
	case SOPS_PROG_TYPE_STRUCT_OPS:
		return "struct_ops";
	case SOPS_PROG_TYPE_SYSCALL:
		return "syscall";
	default:
		return "unspec";
	}
}

static void object_usage(FILE *out)
{
	fprintf(out,
		"usage: structops object show FILE.o [--btf HOST_BTF [--base BASE]] [--json]\n"
		"       structops object dump FILE.o [--btf HOST_BTF [--base BASE]] [--prog NAME]\n"
		"\n"
		"show: lists the programs (name, section, type, instruction count; for\n"
		"struct_ops programs the struct and member they attach to) and maps (name,\n"
		"type, key and value size, max entries, flags; for struct_ops maps the struct\n"
		"type and the program in each function slot) of a BPF object built by clang.\n"
		"\n"
		"dump: disassembles each program (or only --prog NAME) with the source lines\n"
		"of its .BTF.ext line info in front of the instructions they produced, like\n"
		"`bpftool prog dump xlated linum`.\n"
		"\n"
		"Nothing runs and no runtime is made: with --btf the object is only relocated\n"
		"against HOST_BTF, so counts and instructions are final (subprograms\n"
		"appended, maps and CO-RE resolved) and struct_ops members are checked.\n"
		"\n"
		"options:\n"
		"  --btf HOST_BTF  the host's types: raw BTF or an ELF file with .BTF\n"
		"  --base BASE     HOST_BTF is split BTF on BASE (a module's on vmlinux's)\n"
		"  --json          show: JSON {\"programs\": [...], \"maps\": [...]}; failures\n"
		"                  as {\"error\": ...}\n"
		"  --prog NAME     dump: only this program\n"
		"  -h, --help      this text\n"
		"\n"
		"Exit status: 0 on success, 1 when FILE.o, HOST_BTF or BASE cannot be read or\n"
		"FILE.o does not relocate against HOST_BTF, 2 for bad usage.\n"
		"\n"
		"examples:\n"
		"  structops object show cc.bpf.o --btf /sys/kernel/btf/vmlinux --json\n"
		"  structops object dump cc.bpf.o --prog cc_ssthresh\n");
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* Calls @fn for each function-pointer member of struct_ops map @m with its program. */
static void each_member(const struct sops_object *obj, const struct sops_map *m,
			void (*fn)(const char *member, const struct sops_program *p, int *first),
			int *first)
{
	const struct btf *btf = sops_btf__libbpf(sops_object__btf(obj));
	int id = btf ? btf__find_by_name_kind(btf, sops_map__struct_ops_type(m), BTF_KIND_STRUCT) : -1;
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;

	for (int i = 0; t && i < btf_vlen(t); i++) {
		const char *name = btf__name_by_offset(btf, btf_members(t)[i].name_off);
		const struct sops_program *p = sops_map__struct_ops_prog(m, name);

		if (p)
			fn(name, p, first);
	}
}

static void text_member(const char *member, const struct sops_program *p, int *first)
{
	printf("      .%s = %s\n", member, sops_program__name(p));
}

static void json_member(const char *member, const struct sops_program *p, int *first)
{
	printf("%s", *first ? "" : ", ");
	*first = 0;
	json_str(member);
	printf(": ");
	json_str(sops_program__name(p));
}

static void show_text(const struct sops_object *obj, bool loaded)
{
	const struct sops_program *p = NULL;
	const struct sops_map *m = NULL;
	size_t relocs = 0, core = 0;

	printf("object %s, license \"%s\"%s\n", sops_object__name(obj), sops_object__license(obj),
	       loaded ? ", relocated against the host BTF" : "");
	printf("programs:\n");
	while ((p = sops_object__next_program(obj, p))) {
		printf("  %-16s section %-20s type %-10s insns %zu%s", sops_program__name(p),
		       sops_program__section_name(p), prog_type_name(sops_program__type(p)),
		       sops_program__insn_cnt(p), sops_program__autoload(p) ? "" : " (not loaded)");
		if (sops_program__attach_member(p))
			printf(" attach member %s (#%u, type id %u)", sops_program__attach_member(p),
			       sops_program__expected_attach_type(p), sops_program__attach_btf_id(p));
		putchar('\n');
		relocs += sops_program__relocs_applied(p);
		core += sops_program__core_relocs(p);
	}
	printf("maps:\n");
	while ((m = sops_object__next_map(obj, m))) {
		printf("  %-16s type %-10s key %u value %u max_entries %u flags 0x%x%s\n", sops_map__name(m),
		       map_type_name(sops_map__type(m)), sops_map__key_size(m), sops_map__value_size(m),
		       sops_map__max_entries(m), sops_map__map_flags(m),
		       sops_map__autocreate(m) ? "" : " (not created)");
		if (sops_map__type(m) == SOPS_MAP_TYPE_STRUCT_OPS) {
			printf("      struct %s\n", sops_map__struct_ops_type(m));
			each_member(obj, m, text_member, NULL);
		}
	}
	if (loaded)
		printf("relocations applied: %zu, CO-RE relocations applied: %zu\n", relocs, core);
}

static void show_json(const struct sops_object *obj, bool loaded)
{
	const struct sops_program *p = NULL;
	const struct sops_map *m = NULL;
	int first = 1;

	printf("{\"name\": ");
	json_str(sops_object__name(obj));
	printf(", \"license\": ");
	json_str(sops_object__license(obj));
	printf(", \"relocated\": %s,\n \"programs\": [", loaded ? "true" : "false");
	while ((p = sops_object__next_program(obj, p))) {
		printf("%s\n  {\"name\": ", first ? "" : ",");
		first = 0;
		json_str(sops_program__name(p));
		printf(", \"section\": ");
		json_str(sops_program__section_name(p));
		printf(", \"type\": \"%s\", \"insns\": %zu, \"autoload\": %s, \"relocations\": %zu, \"core_relocations\": %zu",
		       prog_type_name(sops_program__type(p)), sops_program__insn_cnt(p),
		       sops_program__autoload(p) ? "true" : "false", sops_program__relocs_applied(p),
		       sops_program__core_relocs(p));
		if (sops_program__attach_member(p)) {
			printf(", \"attach_btf_id\": %u, \"member\": ", sops_program__attach_btf_id(p));
			json_str(sops_program__attach_member(p));
			printf(", \"member_index\": %u", sops_program__expected_attach_type(p));
		}
		printf("}");
	}
	printf("\n ],\n \"maps\": [");
	first = 1;
	while ((m = sops_object__next_map(obj, m))) {
		printf("%s\n  {\"name\": ", first ? "" : ",");
		first = 0;
		json_str(sops_map__name(m));
		printf(", \"type\": \"%s\", \"key_size\": %u, \"value_size\": %u, \"max_entries\": %u, \"flags\": %u, \"autocreate\": %s",
		       map_type_name(sops_map__type(m)), sops_map__key_size(m), sops_map__value_size(m),
		       sops_map__max_entries(m), sops_map__map_flags(m),
		       sops_map__autocreate(m) ? "true" : "false");
		if (sops_map__type(m) == SOPS_MAP_TYPE_STRUCT_OPS) {
			int f = 1;

			printf(", \"struct\": ");
			json_str(sops_map__struct_ops_type(m));
			printf(", \"members\": {");
			each_member(obj, m, json_member, &f);
			printf("}");
		}
		printf("}");
	}
	printf("\n ]\n}\n");
}

/* The name of the object's map with index @idx, or NULL. */
static const char *map_name_of(const struct sops_object *obj, int idx)
{
	const struct sops_map *m = NULL;

	while ((m = sops_object__next_map(obj, m)))
		if (sops_map__index(m) == idx)
			return sops_map__name(m);
	return NULL;
}

/* "r1 = map[idx:0] ll" reads "r1 = map[counts] ll" (bpftool names the map as well). */
static void name_maps(const struct sops_object *obj, const struct sops_insn *in, char *text, size_t size)
{
	const char *name, *at = strstr(text, "map[idx:");
	char tail[128];

	if (!at || !sops_insn_is_lddw(in) ||
	    (in->src_reg != SOPS_LD_IMM64_MAP_IDX && in->src_reg != SOPS_LD_IMM64_MAP_IDX_VALUE))
		return;
	name = map_name_of(obj, in->imm);
	if (!name)
		return;
	snprintf(tail, sizeof(tail), "%s", strchr(at, ']') ? strchr(at, ']') : "]");
	snprintf(text + (at - text), size - (size_t)(at - text), "map[%s%s", name, tail);
}

/* One program's instructions, each source line printed before the first slot it produced. */
static int dump_program(const struct sops_object *obj, const struct sops_program *p)
{
	size_t cnt = sops_program__insn_cnt(p), nlines = 0, li = 0;
	const struct sops_insn *insns = sops_program__insns(p);
	const struct sops_line_info *lines = sops_program__line_info(p, &nlines);
	char text[128];

	printf("%s (section %s, %zu slots):\n", sops_program__name(p), sops_program__section_name(p),
	       cnt);
	for (size_t i = 0; i < cnt;) {
		int n;

		for (; li < nlines && lines[li].insn_off <= i; li++)
			if (lines[li].insn_off == i && lines[li].line[0])
				printf("; %s @ %s:%u\n", lines[li].line, lines[li].file,
				       lines[li].line_num);
		n = sops_disasm__insn(insns, cnt, i, text, sizeof(text));
		if (n < 0) {
			tool_error("object dump", false, n, "%s: slot %zu cannot be disassembled",
				   sops_program__name(p), i);
			return 1;
		}
		name_maps(obj, &insns[i], text, sizeof(text));
		printf("%5zu: %s\n", i, text);
		i += (size_t)n;
	}
	return 0;
}

static int dump_programs(const struct sops_object *obj, const char *only)
{
	const struct sops_program *p = NULL;
	int found = 0, err = 0;

	while ((p = sops_object__next_program(obj, p))) {
		if (only && strcmp(only, sops_program__name(p)))
			continue;
		if (found++)
			putchar('\n');
		err |= dump_program(obj, p);
	}
	if (only && !found) {
		tool_error("object dump", false, -ENOENT, "no program named '%s'", only);
		return 1;
	}
	return err;
}

int cmd_object(int argc, char **argv)
{
	const char *file = NULL, *btf_file = NULL, *base_file = NULL, *only = NULL, *cmd;
	struct sops_object *obj = NULL;
	struct tool_btf host = { 0 };
	bool json = false, dump;
	char log[512] = "";
	int err, rc = 1;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		object_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	dump = !strcmp(argv[1], "dump");
	cmd = dump ? "object dump" : "object show";
	if (strcmp(argv[1], "show") && !dump) {
		fprintf(stderr, "structops object: unknown subcommand '%s'\n", argv[1]);
		object_usage(stderr);
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			object_usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--json") && !dump) {
			json = true;
		} else if (!strcmp(argv[i], "--btf") && i + 1 < argc) {
			btf_file = argv[++i];
		} else if (!strcmp(argv[i], "--base") && i + 1 < argc) {
			base_file = argv[++i];
		} else if (!strcmp(argv[i], "--prog") && i + 1 < argc && dump) {
			only = argv[++i];
		} else if (argv[i][0] == '-' || file) {
			tool_error(cmd, json, -EINVAL, "unexpected argument '%s'", argv[i]);
			object_usage(stderr);
			return 2;
		} else {
			file = argv[i];
		}
	}
	if (!file || (base_file && !btf_file)) {
		tool_error(cmd, json, -EINVAL, "%s",
			   !file ? "FILE.o missing" : "--base needs --btf (it is the base of the split HOST_BTF)");
		object_usage(stderr);
		return 2;
	}
	struct sops_object_open_opts oo = { .sz = sizeof(oo), .log_buf = log, .log_size = sizeof(log) };

	err = sops_object__open_file(file, &oo, &obj);
	if (err) {
		tool_error_file(cmd, json, file, log, err);
		return 1;
	}
	if (btf_file) {
		struct sops_object_load_opts lo = { .sz = sizeof(lo), .log_buf = log, .log_size = sizeof(log) };

		if (tool_btf_load(&host, cmd, json, btf_file, base_file))
			goto out;
		lo.host_btf = host.host;
		log[0] = 0;
		err = sops_object__load(obj, &lo);
		if (err) {
			tool_error(cmd, json, err, "%s: load: %s (%s)", file, log[0] ? log : "failed",
				   strerror(-err > 0 && -err < 4000 ? -err : EINVAL));
			goto out;
		}
	}
	err = 0;
	if (dump)
		err = dump_programs(obj, only);
	else if (json)
		show_json(obj, btf_file != NULL);
	else
		show_text(obj, btf_file != NULL);
	rc = err ? 1 : 0;
out:
	sops_object__close(obj);
	tool_btf_free(&host);
	return rc;
}
