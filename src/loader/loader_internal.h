/* SPDX-License-Identifier: MIT */
/*
 * loader_internal.h - the object loader's data model (internal to src/loader).
 *
 * Open (elf.c) fills a struct sops_object from the ELF file: sections,
 * symbols, functions (programs and .text subprograms), relocation records per
 * executable section, and maps (maps.c for .maps and global data,
 * struct_ops.c for .struct_ops*). btf_ext.c reads .BTF.ext. Load (object.c)
 * runs CO-RE (core.c) on the section copies, struct_ops (struct_ops.c), then
 * links and relocates each program (reloc.c).
 */
#ifndef SOPS_LOADER_INTERNAL_H
#define SOPS_LOADER_INTERNAL_H

#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <structops/object.h>

#include "btf/btf_internal.h"
#include "util/log.h"

#define MAX_OBJ_SECTIONS 65536u
#define POISON_HELPER 0xbad2310 /* libbpf's "invalid CO-RE relocation" call */
#define SOPS_MAX_INSNS_LINKED (1u << 20)

enum sec_kind {
	SEC_OTHER = 0,
	SEC_PROG,       /* executable: programs, or .text subprograms */
	SEC_DATA,       /* .data, .rodata, .bss, .data.*, .rodata.* */
	SEC_MAPS,       /* .maps */
	SEC_STRUCT_OPS, /* .struct_ops, .struct_ops.link, ?-variants */
	SEC_LICENSE,
	SEC_KSYMS,
};

struct obj_sec {
	const char *name;
	enum sec_kind kind;
	GElf_Shdr sh;
	const uint8_t *data; /* NULL for NOBITS */
	size_t size;
	int map_idx;         /* SEC_DATA: its map */
	int rel_sec;         /* index of its .rel section, or 0 */
	struct sops_insn *insns; /* SEC_PROG: working copy (CO-RE patches it) */
	size_t insn_cnt;
};

enum reloc_kind {
	RELO_CALL,         /* bpf-to-bpf call through a symbol */
	RELO_SUBPROG_ADDR, /* lddw of a function */
	RELO_MAP,          /* lddw of a map */
	RELO_DATA,         /* lddw of global data */
	RELO_EXTERN_FUNC,  /* call of a __ksym function */
	RELO_EXTERN_VAR,   /* lddw of an extern variable (__ksym var, __kconfig) */
};

struct obj_reloc {
	enum reloc_kind kind;
	uint32_t sec;      /* the executable section */
	uint32_t insn_idx; /* slot in that section */
	int map_idx;       /* RELO_MAP/DATA */
	uint32_t sym_off;  /* RELO_DATA: symbol value; CALL/ADDR: target slot */
	uint32_t tgt_sec;  /* CALL/ADDR */
	int ext_idx;       /* RELO_EXTERN_* */
};

struct obj_extern {
	const char *name;
	bool is_func;
	bool kconfig;
	bool weak;
	int kcfg_idx; /* kconfig: its slot in obj->kcfg */
	/* resolved at load */
	int32_t host_id;
	int16_t btf_slot;
};

/* What a __kconfig extern's C type takes (libbpf's kinds). */
enum kcfg_type {
	KCFG_UNKNOWN,
	KCFG_CHAR,     /* char, 1-byte integers: a y/n/m letter or a number */
	KCFG_BOOL,     /* _Bool: y/n, 0/1 */
	KCFG_INT,      /* integers of 2, 4, 8 bytes (1 is CHAR) */
	KCFG_TRISTATE, /* enum libbpf_tristate: y/n/m */
	KCFG_CHAR_ARR, /* char[N]: a quoted string */
};

/* One extern variable of the .kconfig DATASEC (kconfig.c). */
struct obj_kcfg {
	const char *name;
	const struct btf_type *var;
	enum kcfg_type type;
	uint32_t size, align, data_off; /* data_off: in the .kconfig map value */
	bool is_signed, weak;
	bool is_set; /* during load */
};

/* One function in an executable section. */
struct obj_func {
	const char *name;
	uint32_t sec;
	uint32_t off, cnt; /* slots in the section */
	struct sops_program *prog; /* NULL for .text subprograms */
};

struct sops_program {
	struct sops_object *obj;
	int idx;
	char *name;
	char *sec_name;
	uint32_t sec;
	uint32_t sec_off, sec_cnt; /* own slots in the section */
	enum sops_prog_type type;
	uint32_t flags;
	bool autoload;
	struct sops_insn *insns;  /* own, then final */
	size_t insn_cnt;
	uint32_t attach_btf_id, expected_attach_type;
	int attach_btf_obj;
	const char *attach_member;
	int handle;
	struct sops_func_info *func_info;
	size_t func_info_cnt;
	struct sops_line_info *line_info;
	size_t line_info_cnt;
	size_t relocs_applied;
	size_t core_relocs; /* CO-RE relocations applied to its own slots */
};

struct st_ops {
	const char *type_name;   /* local struct name (flavor kept) */
	uint32_t type_id;        /* local struct id */
	uint32_t sec;
	uint32_t sec_off;
	uint32_t local_size;
	struct sops_program **progs; /* originally bound, per local member */
	/* load */
	void *kern_vdata;
	uint32_t kern_value_size;
	uint32_t kern_data_off;
	uint32_t *kern_func_off;  /* per local member: offset of the slot in kern_vdata, or 0 */
	uint32_t value_type_id;
	int btf_obj;
};

struct sops_map {
	struct sops_object *obj;
	int idx;
	char *name;
	enum sops_map_kind kind;
	uint32_t type, key_size, value_size, max_entries, map_flags;
	uint32_t key_type_id, value_type_id;
	uint64_t map_extra;
	uint32_t numa_node, pinning;
	uint32_t sec;
	bool autocreate, autoattach;
	void *data;     /* initial value / shadow (value_size bytes) */
	struct st_ops *st;
	int handle;
};

struct sops_object {
	char *name;
	char *license;
	uint8_t *image; /* a copy of the file */
	size_t image_size;
	Elf *elf;
	size_t shstrndx;
	struct obj_sec *secs;
	size_t sec_cnt;
	Elf_Data *symtab;
	size_t sym_cnt;
	uint32_t strtab_sec;
	uint32_t btf_sec, btf_ext_sec, maps_sec;
	struct sops_btf *btf;
	struct obj_func *funcs;
	size_t func_cnt;
	struct sops_program **progs;
	size_t prog_cnt;
	struct sops_map **maps;
	size_t map_cnt;
	struct obj_reloc *relocs; /* sorted by (sec, insn_idx) */
	size_t reloc_cnt;
	struct obj_extern *externs;
	size_t extern_cnt;
	struct obj_kcfg *kcfg; /* sorted as laid out in the .kconfig map */
	size_t kcfg_cnt;
	int kcfg_map;          /* index of the .kconfig map when kcfg_cnt */
	char *kconfig;         /* open_opts.kconfig, copied */
	struct btf_ext_info *ext;
	bool loaded;
	struct sops_log log;
	/* load-time context */
	const struct sops_object_load_opts *lopts;
	/* Loaded into a runtime (struct_ops layer, src/struct_ops/st_user.c). */
	struct sops_runtime *rt;
	void *rt_priv;
	void (*rt_priv_free)(void *priv);
};

/*
 * Load into opts->runtime with the library's own map/program callbacks
 * (st_user.c). A strong reference, so that static links (the tool) pull the
 * struct_ops layer in; builds of the loader alone (the fuzz target) provide
 * a stub that returns -EOPNOTSUPP.
 */
int st_object_load(struct sops_object *obj, const struct sops_object_load_opts *opts);
/* Close the handles st_object_load made (sops_object__close; the stub does nothing). */
void st_object_close(struct sops_object *obj);

/* A little-endian u32 at @p, unaligned (.BTF.ext and CO-RE records). */
static inline uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* elf.c */
int elf_open(struct sops_object *obj);
bool elf_sym(struct sops_object *obj, size_t i, GElf_Sym *sym);
/* A symbol's name, a section symbol's its section's; "" when unreadable, never NULL. */
const char *elf_sym_name(struct sops_object *obj, const GElf_Sym *sym);
/* The function holding slot @idx of section @sec, or NULL (a gap, or a dropped weak function). */
const struct obj_func *obj_func_at(const struct sops_object *obj, uint32_t sec, uint32_t idx);

/* maps.c */
struct sops_map *map_add(struct sops_object *obj, const char *name, enum sops_map_kind kind);
int maps_init_data(struct sops_object *obj);
int maps_init_btf(struct sops_object *obj);
int btf_fixup_datasecs(struct sops_object *obj);

/* struct_ops.c */
/* The program in function-pointer member @k of @m's shadow value, or NULL (none, not a function pointer). */
struct sops_program *st_shadow_prog(const struct sops_map *m, __u16 k);
int st_ops_open(struct sops_object *obj);
int st_ops_relocs(struct sops_object *obj);
int st_ops_prepare(struct sops_object *obj);
void st_ops_fill_handles(struct sops_object *obj);
void st_ops_free(struct st_ops *st);

/* kconfig.c */
/* Open: the .kconfig externs, their layout, the .kconfig map. */
int kconfig_open(struct sops_object *obj);
/* Load: the values (host text, virtual externs, defaults), strong ones required. */
int kconfig_resolve(struct sops_object *obj);
const struct obj_kcfg *kcfg_find(const struct sops_object *obj, const char *name);

/* btf_ext.c */
struct btf_ext_info;
int btf_ext_open(struct sops_object *obj);
void btf_ext_free(struct btf_ext_info *ext);
/* CO-RE records (insn_off, type_id, access_str_off, kind; u32 each) of ELF section @sec. */
const uint8_t *btf_ext_core_recs(const struct sops_object *obj, const char *sec, uint32_t *cnt,
				 uint32_t *rec_size);
/* Append @sub's func/line records to @prog at final slot @pos. */
int btf_ext_add_prog_info(struct sops_object *obj, struct sops_program *prog, uint32_t sec,
			  uint32_t sec_off, uint32_t cnt, uint32_t pos);

/* core.c */
int core_relocate(struct sops_object *obj, const struct sops_btf *host,
		  const struct sops_btf *const *mods, size_t mod_cnt);

/*
 * CO-RE internals (core.c drives, core_spec.c matches types, core_patch.c
 * computes values and patches instructions). A spec is a parsed access string
 * ("0:1:2") against one BTF: the named accessors (array elements have no
 * name), the raw indices, and the bit offset of what they reach.
 */
#define CORE_SPEC_MAX 64   /* accessors in one access string, as libbpf */
#define CORE_WHY_LEN 192   /* reason buffers of the functions below */

enum core_kind {
	CORE_FIELD_BYTE_OFFSET = 0,
	CORE_FIELD_BYTE_SIZE = 1,
	CORE_FIELD_EXISTS = 2,
	CORE_FIELD_SIGNED = 3,
	CORE_FIELD_LSHIFT_U64 = 4,
	CORE_FIELD_RSHIFT_U64 = 5,
	CORE_TYPE_ID_LOCAL = 6,
	CORE_TYPE_ID_TARGET = 7,
	CORE_TYPE_EXISTS = 8,
	CORE_TYPE_SIZE = 9,
	CORE_ENUMVAL_EXISTS = 10,
	CORE_ENUMVAL_VALUE = 11,
	CORE_TYPE_MATCHES = 12,
	CORE_KIND_CNT,
};

struct core_acc {
	__u32 type_id;     /* the struct, union, array element or enum accessed */
	__u32 idx;         /* member, element or enumerator index */
	const char *name;  /* member or enumerator name; NULL for an array element */
};

struct core_spec {
	const struct btf *btf;
	__u32 root_id;
	enum core_kind kind;
	struct core_acc acc[CORE_SPEC_MAX];
	int len;
	__u32 raw[CORE_SPEC_MAX];
	int raw_len;
	__u64 bit_off;     /* of the field reached (field kinds) */
};

/* The outcome of one relocation: expected and new values, and how to patch. */
struct core_res {
	__u64 orig_val, new_val;
	__u32 orig_sz, new_sz;     /* field sizes, for load/store size changes */
	__u32 orig_type, new_type; /* field type ids (modifiers skipped) */
	bool poison;               /* make the instruction fail if it runs */
	bool validate;             /* the instruction must hold orig_val */
	bool bad_memsz;            /* a load/store size change would corrupt the value */
};

/* core_spec.c */
const char *core_kind_str(__u32 kind);
bool core_kind_is_field(__u32 kind);
bool core_kind_is_type(__u32 kind);
bool core_kind_is_enumval(__u32 kind);
size_t core_essential_len(const char *name);
bool core_kinds_compat(const struct btf_type *a, const struct btf_type *b);
int core_parse_spec(const struct btf *btf, __u32 id, const char *str, enum core_kind kind,
		    struct core_spec *spec, char *why);
int core_spec_match(const struct core_spec *local, const struct btf *targ, __u32 targ_id,
		    struct core_spec *out);
int core_types_compat(const struct btf *lb, __u32 lid, const struct btf *tb, __u32 tid);
int core_types_match(const struct btf *lb, __u32 lid, const struct btf *tb, __u32 tid);

/* core_patch.c */
int core_calc(const struct core_spec *local, const struct core_spec *targ, struct core_res *res,
	      char *why);
int core_patch(struct sops_insn *insn, size_t avail, const struct core_res *res, char *why);

/* reloc.c */
int reloc_collect(struct sops_object *obj);
int externs_resolve(struct sops_object *obj);
int prog_relocate(struct sops_object *obj, struct sops_program *prog);

/* Find a type in the host, then the modules: its id and slot (0 host, i+1). */
int find_host_type(struct sops_object *obj, const char *name, int kind, const struct btf **btf,
		   int *slot);

#endif /* SOPS_LOADER_INTERNAL_H */
