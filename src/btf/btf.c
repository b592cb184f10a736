/* SPDX-License-Identifier: MIT */
/*
 * btf.c - loading host, module and object BTF through libbpf, and validating it.
 *
 * libbpf parses (btf__new, btf__new_split) and checks the header and that each
 * type record fits; btf_validate() adds the checks a walker of hostile input
 * needs: referenced ids exist, names resolve, by-value reference chains have
 * no loops, and no reference chain is deep enough to exhaust a recursive
 * walker's stack. ELF files are read with libelf to find .BTF, from a path or from
 * memory. See include/structops/btf.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>
#include <unistd.h>

#include "btf_internal.h"
#include "util/file.h"
#include "util/opts.h"

static const char *const kind_names[] = {
	[BTF_KIND_UNKN] = "UNKNOWN",   [BTF_KIND_INT] = "INT",
	[BTF_KIND_PTR] = "PTR",	       [BTF_KIND_ARRAY] = "ARRAY",
	[BTF_KIND_STRUCT] = "STRUCT",  [BTF_KIND_UNION] = "UNION",
	[BTF_KIND_ENUM] = "ENUM",      [BTF_KIND_FWD] = "FWD",
	[BTF_KIND_TYPEDEF] = "TYPEDEF", [BTF_KIND_VOLATILE] = "VOLATILE",
	[BTF_KIND_CONST] = "CONST",    [BTF_KIND_RESTRICT] = "RESTRICT",
	[BTF_KIND_FUNC] = "FUNC",      [BTF_KIND_FUNC_PROTO] = "FUNC_PROTO",
	[BTF_KIND_VAR] = "VAR",	       [BTF_KIND_DATASEC] = "DATASEC",
	[BTF_KIND_FLOAT] = "FLOAT",    [BTF_KIND_DECL_TAG] = "DECL_TAG",
	[BTF_KIND_TYPE_TAG] = "TYPE_TAG", [BTF_KIND_ENUM64] = "ENUM64",
};

const char *btf_kind_str(const struct btf_type *t)
{
	unsigned int k = btf_kind(t);

	return k < sizeof(kind_names) / sizeof(kind_names[0]) && kind_names[k] ? kind_names[k]
										 : "UNKNOWN";
}

const char *btf_name(const struct btf *btf, const struct btf_type *t)
{
	const char *s = t ? btf__name_by_offset(btf, t->name_off) : NULL;

	return s ? s : "";
}

const struct btf_type *btf_skip_mods(const struct btf *btf, __u32 id, __u32 *res_id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	int depth = 0;

	while (t && (btf_is_mod(t) || btf_is_typedef(t) || btf_is_type_tag(t))) {
		if (++depth > 64)
			return NULL;
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	if (res_id)
		*res_id = id;
	return t;
}

const struct btf_type *btf_func_ptr_proto(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf_skip_mods(btf, id, NULL);

	if (!t || !btf_is_ptr(t))
		return NULL;
	t = btf_skip_mods(btf, t->type, NULL);
	return t && btf_is_func_proto(t) ? t : NULL;
}

/* ---- validation ---- */

struct vctx {
	const struct btf *btf;
	__u32 start, cnt;
	struct sops_log *log;
};

/* "[id] KIND 'name'" of type @id, for messages: an id alone says nothing to a host author. */
static const char *type_desc(const struct btf *btf, __u32 id, char *buf, size_t size)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	snprintf(buf, size, "[%u] %s '%s'", id, t ? btf_kind_str(t) : "?", btf_name(btf, t));
	return buf;
}

/* @what names the referring part of type @id ("member 'x'", "parameter 2"), or NULL. */
static int check_ref(struct vctx *v, __u32 id, __u32 ref, bool void_ok, const char *what)
{
	char d[160];

	if (ref < v->cnt && (ref || void_ok))
		return 0;
	type_desc(v->btf, id, d, sizeof(d));
	if (ref)
		return log_err(v->log, -EINVAL, "BTF type %s%s%s refers to type id %u, which does not exist",
			       d, what ? " " : "", what ? what : "", ref);
	return log_err(v->log, -EINVAL,
		       "BTF type %s%s%s refers to type id 0, which is void where a type is required "
		       "(pahole writes 0 for types it cannot encode, such as C11 _Atomic ones)",
		       d, what ? " " : "", what ? what : "");
}

/* A member's type must be a data type (the kernel refuses functions, variables, sections, tags). */
static int check_member_kind(struct vctx *v, __u32 id, __u32 ref, const char *what)
{
	const struct btf_type *t = btf__type_by_id(v->btf, ref);
	char d[160], r[160];

	if (!t || !(btf_is_func(t) || btf_is_func_proto(t) || btf_is_var(t) || btf_is_datasec(t) ||
		    btf_is_decl_tag(t)))
		return 0;
	return log_err(v->log, -EINVAL, "BTF type %s %s has type %s, which is not a data type",
		       type_desc(v->btf, id, d, sizeof(d)), what, type_desc(v->btf, ref, r, sizeof(r)));
}

static int check_name(struct vctx *v, __u32 id, __u32 off)
{
	const struct btf_type *t = btf__type_by_id(v->btf, id);

	if (!btf__name_by_offset(v->btf, off))
		return log_err(v->log, -EINVAL, "BTF type [%u] %s: name offset %u is outside the strings",
			       id, btf_kind_str(t), off);
	return 0;
}

/* Check one type's references and names. */
static int validate_type(struct vctx *v, __u32 id, const struct btf_type *t)
{
	__u16 vlen = btf_vlen(t);
	int err = check_name(v, id, t->name_off);

	if (err)
		return err;
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_FLOAT:
	case BTF_KIND_FWD:
		return 0;
	case BTF_KIND_PTR:
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_TYPE_TAG:
		return check_ref(v, id, t->type, true, NULL);
	case BTF_KIND_FUNC:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return check_ref(v, id, t->type, false, NULL);
	case BTF_KIND_ARRAY:
		return check_ref(v, id, btf_array(t)->type, false, "(element type)") ?:
		       check_ref(v, id, btf_array(t)->index_type, false, "(index type)");
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		for (__u16 i = 0; i < vlen; i++) {
			const struct btf_member *m = btf_members(t) + i;
			char what[96];

			err = check_name(v, id, m->name_off);
			if (err)
				return err;
			snprintf(what, sizeof(what), "member '%s'", btf__name_by_offset(v->btf, m->name_off));
			if ((err = check_ref(v, id, m->type, false, what)))
				return err;
			if ((err = check_member_kind(v, id, m->type, what)))
				return err;
		}
		return 0;
	case BTF_KIND_ENUM:
		for (__u16 i = 0; i < vlen; i++)
			if ((err = check_name(v, id, btf_enum(t)[i].name_off)))
				return err;
		return 0;
	case BTF_KIND_ENUM64:
		for (__u16 i = 0; i < vlen; i++)
			if ((err = check_name(v, id, btf_enum64(t)[i].name_off)))
				return err;
		return 0;
	case BTF_KIND_FUNC_PROTO:
		if ((err = check_ref(v, id, t->type, true, "(return type)")))
			return err;
		for (__u16 i = 0; i < vlen; i++) {
			const struct btf_param *p = btf_params(t) + i;
			char what[32];

			/* type 0 is the "..." of a variadic prototype, last only */
			snprintf(what, sizeof(what), "parameter %u", i);
			err = check_name(v, id, p->name_off) ?:
			      check_ref(v, id, p->type, i == vlen - 1, what);
			if (err)
				return err;
		}
		return 0;
	case BTF_KIND_DATASEC:
		for (__u16 i = 0; i < vlen; i++)
			if ((err = check_ref(v, id, btf_var_secinfos(t)[i].type, false, "(variable)")))
				return err;
		return 0;
	default:
		return log_err(v->log, -EINVAL, "BTF type [%u] '%s' has unknown kind %u", id,
			       btf_name(v->btf, t), btf_kind(t));
	}
}

/* The by-value edges of @t (a pointer ends a chain): count, and the i-th. */
static __u32 edge_cnt(const struct btf_type *t)
{
	switch (btf_kind(t)) {
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_VAR:
	case BTF_KIND_FUNC:
	case BTF_KIND_ARRAY:
		return 1;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_DATASEC:
		return btf_vlen(t);
	default:
		return 0;
	}
}

static __u32 edge(const struct btf_type *t, __u32 i)
{
	switch (btf_kind(t)) {
	case BTF_KIND_ARRAY:
		return btf_array(t)->type;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return btf_members(t)[i].type;
	case BTF_KIND_DATASEC:
		return btf_var_secinfos(t)[i].type;
	default:
		return t->type;
	}
}

/* Iterative depth-first search over by-value edges: a back edge is a loop. */
static int check_loops(struct vctx *v)
{
	__u32 n = v->cnt - v->start, sp = 0;
	unsigned char *color = calloc(n ? n : 1, 1); /* 0 new, 1 on stack, 2 done */
	struct frame { __u32 id, next; } *stack = calloc(n ? n : 1, sizeof(*stack));
	int err = 0;

	if (!color || !stack) {
		err = log_err(v->log, -ENOMEM, "out of memory validating BTF");
		goto out;
	}
	for (__u32 root = v->start; root < v->cnt && !err; root++) {
		if (color[root - v->start])
			continue;
		color[root - v->start] = 1;
		stack[sp++] = (struct frame){ root, 0 };
		while (sp) {
			struct frame *f = &stack[sp - 1];
			const struct btf_type *t = btf__type_by_id(v->btf, f->id);
			__u32 to;

			if (f->next >= edge_cnt(t)) {
				color[f->id - v->start] = 2;
				sp--;
				continue;
			}
			to = edge(t, f->next++);
			if (to < v->start)
				continue; /* void or a base type: validated with the base */
			if (color[to - v->start] == 1) {
				char a[160], b[160];

				err = log_err(v->log, -EINVAL,
					      "BTF type %s contains itself (reference loop through %s)",
					      type_desc(v->btf, to, a, sizeof(a)),
					      type_desc(v->btf, f->id, b, sizeof(b)));
				break;
			}
			if (!color[to - v->start]) {
				color[to - v->start] = 1;
				stack[sp++] = (struct frame){ to, 0 };
			}
		}
	}
out:
	free(color);
	free(stack);
	return err;
}

/*
 * libbpf's type walkers (btf_dump's ordering among them) recurse along type
 * references, so a hostile BTF with a chain thousands of types long would
 * exhaust the stack inside libbpf. They follow every reference, but stop at
 * a struct or union reached through a pointer (a forward declaration does
 * there). check_depth() walks the same edges, with that "through a pointer"
 * state as part of the node, and bounds the chains. Real BTF stays far below.
 */
#define BTF_MAX_REF_DEPTH 256

static __u32 ref_edge_cnt(const struct btf_type *t, bool through_ptr)
{
	switch (btf_kind(t)) {
	case BTF_KIND_PTR:
		return 1;
	case BTF_KIND_FUNC_PROTO:
		return 1 + btf_vlen(t);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return through_ptr ? 0 : btf_vlen(t);
	default:
		return edge_cnt(t);
	}
}

static __u32 ref_edge(const struct btf_type *t, __u32 i)
{
	if (btf_kind(t) == BTF_KIND_FUNC_PROTO)
		return i ? btf_params(t)[i - 1].type : t->type;
	return edge(t, i);
}

/* Iterative post-order over (type, through-pointer) nodes: loops and over-long chains fail. */
static int check_depth(struct vctx *v)
{
	__u32 n = 2 * (v->cnt - v->start), sp = 0;
	unsigned char *state = calloc(n ? n : 1, 1); /* 0 new, 1 on stack, 2 done */
	uint16_t *depth = calloc(n ? n : 1, sizeof(*depth));
	struct frame { __u32 node, next; } *stack = calloc(n ? n : 1, sizeof(*stack));
	int err = 0;

	if (!state || !depth || !stack) {
		err = log_err(v->log, -ENOMEM, "out of memory validating BTF");
		goto out;
	}
	for (__u32 root = 0; root < n && !err; root += 2) {
		if (state[root])
			continue;
		state[root] = 1;
		stack[sp++] = (struct frame){ root, 0 };
		while (sp && !err) {
			struct frame *f = &stack[sp - 1];
			__u32 id = v->start + f->node / 2, to, child;
			bool tp = f->node & 1;
			const struct btf_type *t = btf__type_by_id(v->btf, id);

			if (f->next >= ref_edge_cnt(t, tp)) {
				state[f->node] = 2;
				sp--;
				if (sp && depth[f->node] + 1 > depth[stack[sp - 1].node])
					depth[stack[sp - 1].node] = depth[f->node] + 1;
				continue;
			}
			to = ref_edge(t, f->next++);
			if (to < v->start)
				continue; /* void or a base type: validated with the base */
			child = 2 * (to - v->start) + (tp || btf_is_ptr(t));
			if (state[child] == 1) {
				char a[160], b[160];

				err = log_err(v->log, -EINVAL,
					      "BTF type %s refers to itself through %s without a named struct between",
					      type_desc(v->btf, to, a, sizeof(a)), type_desc(v->btf, id, b, sizeof(b)));
			} else if (state[child] == 2) {
				if (depth[child] + 1 > depth[f->node])
					depth[f->node] = depth[child] + 1;
			} else if (sp >= BTF_MAX_REF_DEPTH) {
				char a[160];

				err = log_err(v->log, -EINVAL,
					      "BTF type %s starts a reference chain deeper than %d types",
					      type_desc(v->btf, v->start + root / 2, a, sizeof(a)),
					      BTF_MAX_REF_DEPTH);
			} else {
				state[child] = 1;
				stack[sp++] = (struct frame){ child, 0 };
			}
			if (!err && depth[f->node] > BTF_MAX_REF_DEPTH) {
				char a[160];

				err = log_err(v->log, -EINVAL,
					      "BTF type %s starts a reference chain deeper than %d types",
					      type_desc(v->btf, id, a, sizeof(a)), BTF_MAX_REF_DEPTH);
			}
		}
	}
out:
	free(state);
	free(depth);
	free(stack);
	return err;
}

int btf_validate(const struct btf *btf, struct sops_log *log)
{
	struct vctx v = { btf, btf_first_own_id(btf), btf__type_cnt(btf), log };
	int err;

	for (__u32 id = v.start; id < v.cnt; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (!t)
			return log_err(log, -EINVAL, "BTF type [%u] is missing (libbpf has no record for it)", id);
		if ((err = validate_type(&v, id, t)))
			return err;
	}
	err = check_loops(&v);
	return err ? err : check_depth(&v);
}

struct sops_btf *btf_wrap(struct btf *btf, const struct sops_btf *base)
{
	struct sops_btf *b = calloc(1, sizeof(*b));

	if (!b) {
		btf__free(btf);
		return NULL;
	}
	b->btf = btf;
	b->base = base;
	return b;
}

/*
 * libbpf 1.1 declares btf__new_split() but does not export it; its raw-file
 * parser does the same job, so split BTF in memory goes through a memfd.
 */
static struct btf *new_split(const void *data, size_t size, struct btf *base)
{
	char path[64];
	struct btf *btf = NULL;
	int fd = memfd_create("sops-btf", MFD_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		btf = btf__parse_raw_split(path, base);
	} else {
		errno = EIO;
	}
	close(fd);
	return btf;
}

/*
 * Whether raw BTF that failed to parse alone is split BTF: a standalone
 * BTF's string section starts with the empty string, a split one's does not
 * (offset 0 is its base's empty string).
 */
static bool looks_split(const void *data, size_t size)
{
	struct btf_header h;

	if (size < sizeof(h))
		return false;
	memcpy(&h, data, sizeof(h));
	if (h.magic != BTF_MAGIC || h.hdr_len < sizeof(h) || h.hdr_len > size || !h.str_len ||
	    (uint64_t)h.hdr_len + h.str_off >= size)
		return false;
	return ((const char *)data)[h.hdr_len + h.str_off] != '\0';
}

int btf_parse_raw(const void *data, size_t size, const struct sops_btf *base, struct sops_log *log,
		  struct sops_btf **out)
{
	struct btf *btf;
	int err;

	if (size > UINT32_MAX)
		return log_err(log, -E2BIG, "BTF of %zu bytes is too large", size);
	errno = 0;
	btf = base ? new_split(data, size, base->btf) : btf__new(data, size);
	if (!btf) {
		err = errno ? -errno : -EINVAL;
		if (err != -ENOMEM && !base && looks_split(data, size))
			return log_err(log, -EINVAL,
				       "split BTF (its strings continue a base BTF's): load it on its base "
				       "(sops_btf_opts.base; structops btf dump --base HOST_BTF)");
		return log_err(log, err == -ENOMEM ? err : -EINVAL,
			       "malformed BTF (%zu bytes): libbpf rejects its header, strings or type records",
			       size);
	}
	err = btf_repair_untyped(btf);
	if (err < 0) {
		btf__free(btf);
		return log_err(log, err, "out of memory repairing BTF");
	}
	err = btf_validate(btf, log);
	if (err) {
		btf__free(btf);
		return err;
	}
	*out = btf_wrap(btf, base);
	return *out ? 0 : log_err(log, -ENOMEM, "out of memory");
}

/* Find .BTF in an ELF image and parse it. */
static int load_elf(Elf *elf, const char *what, const struct sops_btf *base, struct sops_log *log,
		    struct sops_btf **out)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx))
		return log_err(log, -EINVAL, "%s: not a valid ELF file: %s", what, elf_errmsg(-1));
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh))
			return log_err(log, -EINVAL, "%s: bad section header: %s", what, elf_errmsg(-1));
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".BTF"))
			continue;
		if (sh.sh_type == SHT_NOBITS)
			return log_err(log, -EINVAL, "%s: .BTF has no data", what);
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf)
			return log_err(log, -EINVAL, "%s: cannot read .BTF: %s", what, elf_errmsg(-1));
		return btf_parse_raw(d->d_buf, d->d_size, base, log, out);
	}
	return log_err(log, -ENODATA, "%s: no .BTF section (make one with pahole, see docs/btf-and-programs.md)",
		       what);
}

static bool is_elf(const void *data, size_t size)
{
	return size >= 4 && !memcmp(data, "\177ELF", 4);
}

int sops_btf__load_mem(const void *data, size_t size, const struct sops_btf_opts *opts,
		       struct sops_btf **btf)
{
	struct sops_log log = { OPTS_GET(opts, log_buf, NULL), OPTS_GET(opts, log_size, 0), 0 };
	const struct sops_btf *base = OPTS_GET(opts, base, NULL);
	Elf *elf;
	int err;

	if (!OPTS_VALID(opts, sops_btf_opts) || !btf || (!data && size))
		return log_err(&log, -EINVAL, "invalid arguments");
	if (!is_elf(data, size))
		return btf_parse_raw(data, size, base, &log, btf);
	elf_version(EV_CURRENT);
	elf = elf_memory((char *)data, size);
	if (!elf)
		return log_err(&log, -EINVAL, "not a valid ELF image: %s", elf_errmsg(-1));
	err = load_elf(elf, "ELF image", base, &log, btf);
	elf_end(elf);
	return err;
}

int sops_btf__load_file(const char *path, const struct sops_btf_opts *opts, struct sops_btf **btf)
{
	struct sops_log log = { OPTS_GET(opts, log_buf, NULL), OPTS_GET(opts, log_size, 0), 0 };
	const struct sops_btf *base = OPTS_GET(opts, base, NULL);
	unsigned char magic[4] = { 0 };
	int fd, err;
	Elf *elf;

	if (!OPTS_VALID(opts, sops_btf_opts) || !path || !btf)
		return log_err(&log, -EINVAL, "invalid arguments");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_err(&log, -errno, "%s: %s", path, strerror(errno));
	if (pread(fd, magic, 4, 0) == 4 && is_elf(magic, 4)) {
		elf_version(EV_CURRENT);
		elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
		if (!elf) {
			err = log_err(&log, -EINVAL, "%s: not a valid ELF file: %s", path, elf_errmsg(-1));
		} else {
			err = load_elf(elf, path, base, &log, btf);
			elf_end(elf);
		}
	} else {
		uint8_t *buf = NULL;
		size_t size = 0;

		err = read_whole_fd(fd, path, UINT32_MAX, &buf, &size, &log);
		if (!err) {
			err = btf_parse_raw(buf, size, base, &log, btf);
			if (err)
				log_prefix(&log, path);
		}
		free(buf);
	}
	close(fd);
	return err;
}

int sops_btf__load_self(const struct sops_btf_opts *opts, struct sops_btf **btf)
{
	return sops_btf__load_file("/proc/self/exe", opts, btf);
}

void sops_btf__free(struct sops_btf *btf)
{
	if (!btf)
		return;
	btf__free(btf->btf);
	free(btf);
}

const struct btf *sops_btf__libbpf(const struct sops_btf *btf)
{
	return btf ? btf->btf : NULL;
}

const struct sops_btf *sops_btf__base(const struct sops_btf *btf)
{
	return btf ? btf->base : NULL;
}

int sops_btf__find(const struct sops_btf *btf, const char *name, int kind)
{
	int id;

	if (!btf || !name)
		return -EINVAL;
	id = btf__find_by_name_kind(btf->btf, name, kind);
	return id > 0 ? id : -ENOENT;
}
