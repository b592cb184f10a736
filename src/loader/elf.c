/* SPDX-License-Identifier: MIT */
/*
 * elf.c - reading a BPF object's ELF file with libelf: sections, symbols,
 * functions and programs.
 *
 * Every offset and size from the file is checked before use: section data
 * must lie in the file (libelf checks), symbols must point inside their
 * section, functions must be whole instruction slots and must not overlap.
 * Programs are the functions of executable sections other than .text, named
 * after their symbol; their type comes from the section name as in libbpf
 * (struct_ops, struct_ops.s, syscall).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "loader_internal.h"

static bool str_pfx(const char *s, const char *pfx)
{
	return !strncmp(s, pfx, strlen(pfx));
}

static bool is_data_sec(const char *name)
{
	return !strcmp(name, ".data") || !strcmp(name, ".rodata") || !strcmp(name, ".bss") ||
	       str_pfx(name, ".data.") || str_pfx(name, ".rodata.");
}

static bool is_struct_ops_sec(const char *name)
{
	return !strcmp(name, ".struct_ops") || !strcmp(name, ".struct_ops.link") ||
	       !strcmp(name, "?.struct_ops") || !strcmp(name, "?.struct_ops.link");
}

bool elf_sym(struct sops_object *obj, size_t i, GElf_Sym *sym)
{
	return obj->symtab && i < obj->sym_cnt && gelf_getsym(obj->symtab, (int)i, sym);
}

const char *elf_sym_name(struct sops_object *obj, const GElf_Sym *sym)
{
	const char *s;

	/* a section whose name is unreadable has none (NULL): callers get "" as for other symbols */
	if (GELF_ST_TYPE(sym->st_info) == STT_SECTION && sym->st_shndx < obj->sec_cnt)
		return obj->secs[sym->st_shndx].name ? obj->secs[sym->st_shndx].name : "";
	s = elf_strptr(obj->elf, obj->strtab_sec, sym->st_name);
	return s ? s : "";
}

const struct obj_func *obj_func_at(const struct sops_object *obj, uint32_t sec, uint32_t idx)
{
	for (size_t i = 0; i < obj->func_cnt; i++) {
		const struct obj_func *f = &obj->funcs[i];

		if (f->sec == sec && idx >= f->off && idx - f->off < f->cnt)
			return f;
	}
	return NULL;
}

static int collect_section(struct sops_object *obj, size_t idx, Elf_Scn *scn)
{
	struct obj_sec *s = &obj->secs[idx];
	Elf_Data *d = NULL;

	if (!gelf_getshdr(scn, &s->sh))
		return log_err(&obj->log, -EINVAL, "section %zu: bad header: %s", idx, elf_errmsg(-1));
	s->name = elf_strptr(obj->elf, obj->shstrndx, s->sh.sh_name);
	if (!s->name)
		return log_err(&obj->log, -EINVAL, "section %zu: bad name offset %u", idx, s->sh.sh_name);
	if (s->sh.sh_type != SHT_NOBITS) {
		d = elf_getdata(scn, NULL);
		if (!d)
			return log_err(&obj->log, -EINVAL, "section %s: data out of the file: %s",
				       s->name, elf_errmsg(-1));
		s->data = d->d_buf;
		s->size = d->d_size;
		if (s->size && !s->data)
			return log_err(&obj->log, -EINVAL, "section %s: no data", s->name);
	} else {
		s->size = s->sh.sh_size;
	}

	if (s->sh.sh_type == SHT_SYMTAB) {
		if (obj->symtab)
			return log_err(&obj->log, -EINVAL, "more than one symbol table");
		if (s->sh.sh_entsize != sizeof(Elf64_Sym) || s->sh.sh_link >= obj->sec_cnt || !s->sh.sh_link)
			return log_err(&obj->log, -EINVAL, "symbol table: bad entry size or string table");
		obj->symtab = d;
		obj->sym_cnt = s->size / sizeof(Elf64_Sym);
		obj->strtab_sec = s->sh.sh_link;
	} else if (s->sh.sh_type == SHT_REL || s->sh.sh_type == SHT_RELA) {
		/* remembered on the target below */
	} else if (!strcmp(s->name, ".BTF")) {
		obj->btf_sec = idx;
	} else if (!strcmp(s->name, ".BTF.ext")) {
		obj->btf_ext_sec = idx;
	} else if (!strcmp(s->name, "license")) {
		s->kind = SEC_LICENSE;
		if (!s->data || !s->size || !memchr(s->data, 0, s->size))
			return log_err(&obj->log, -EINVAL, "license section is not a NUL-terminated string");
		free(obj->license);
		obj->license = strdup((const char *)s->data);
		if (!obj->license)
			return log_err(&obj->log, -ENOMEM, "out of memory");
	} else if (!strcmp(s->name, "maps")) {
		return log_err(&obj->log, -EOPNOTSUPP,
			       "legacy 'maps' section is not supported: use BTF-defined maps in SEC(\".maps\")");
	} else if (!strcmp(s->name, ".maps")) {
		s->kind = SEC_MAPS;
		obj->maps_sec = idx;
	} else if (!strcmp(s->name, ".ksyms")) {
		s->kind = SEC_KSYMS;
	} else if (is_struct_ops_sec(s->name)) {
		s->kind = SEC_STRUCT_OPS;
	} else if ((s->sh.sh_flags & SHF_EXECINSTR) && s->sh.sh_type == SHT_PROGBITS) {
		s->kind = SEC_PROG;
		if (s->size % SOPS_INSN_SIZE)
			return log_err(&obj->log, -EINVAL,
				       "section %s: %zu bytes is not a whole number of instructions",
				       s->name, s->size);
		s->insn_cnt = s->size / SOPS_INSN_SIZE;
		if (s->insn_cnt) {
			s->insns = malloc(s->size);
			if (!s->insns)
				return log_err(&obj->log, -ENOMEM, "out of memory");
			memcpy(s->insns, s->data, s->size);
		}
	} else if ((s->sh.sh_type == SHT_PROGBITS || s->sh.sh_type == SHT_NOBITS) &&
		   is_data_sec(s->name)) {
		s->kind = SEC_DATA;
	}
	return 0;
}

/* Link each .rel section to the section it applies to. */
static int link_relocs(struct sops_object *obj)
{
	for (size_t i = 1; i < obj->sec_cnt; i++) {
		struct obj_sec *s = &obj->secs[i];

		if (s->sh.sh_type != SHT_REL && s->sh.sh_type != SHT_RELA)
			continue;
		if (s->sh.sh_info >= obj->sec_cnt)
			return log_err(&obj->log, -EINVAL, "relocation section %s targets section %u, which does not exist",
				       s->name, s->sh.sh_info);
		struct obj_sec *t = &obj->secs[s->sh.sh_info];

		if (t->kind != SEC_PROG && t->kind != SEC_STRUCT_OPS)
			continue; /* debug info, BTF: not ours to apply */
		if (s->sh.sh_type == SHT_RELA)
			return log_err(&obj->log, -EINVAL, "section %s: RELA relocations are not used by BPF",
				       s->name);
		if (s->sh.sh_entsize != sizeof(Elf64_Rel))
			return log_err(&obj->log, -EINVAL, "section %s: bad entry size", s->name);
		t->rel_sec = (int)i;
	}
	return 0;
}

static int cmp_func(const void *a, const void *b)
{
	const struct obj_func *x = a, *y = b;

	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

/* The program type of section @sec, as libbpf names them; UNSPEC for any other. */
static void prog_type_of(const char *sec, enum sops_prog_type *type, uint32_t *flags)
{
	*flags = 0;
	if (!strcmp(sec, "struct_ops") || str_pfx(sec, "struct_ops/")) {
		*type = SOPS_PROG_TYPE_STRUCT_OPS;
	} else if (!strcmp(sec, "struct_ops.s") || str_pfx(sec, "struct_ops.s/")) {
		*type = SOPS_PROG_TYPE_STRUCT_OPS;
		*flags = SOPS_F_SLEEPABLE;
	} else if (!strcmp(sec, "syscall")) {
		*type = SOPS_PROG_TYPE_SYSCALL;
		*flags = SOPS_F_SLEEPABLE;
	} else {
		*type = SOPS_PROG_TYPE_UNSPEC;
	}
}

static int add_prog(struct sops_object *obj, struct obj_func *f)
{
	struct obj_sec *s = &obj->secs[f->sec];
	struct sops_program *p = calloc(1, sizeof(*p)), **arr;

	if (!p)
		return -ENOMEM;
	arr = realloc(obj->progs, (obj->prog_cnt + 1) * sizeof(*arr));
	if (!arr) {
		free(p);
		return -ENOMEM;
	}
	obj->progs = arr;
	arr[obj->prog_cnt] = p;
	p->idx = (int)obj->prog_cnt++;
	p->obj = obj;
	p->name = strdup(f->name);
	p->sec_name = strdup(s->name);
	p->insns = malloc(f->cnt * SOPS_INSN_SIZE);
	if (!p->name || !p->sec_name || !p->insns)
		return -ENOMEM;
	memcpy(p->insns, s->insns + f->off, f->cnt * SOPS_INSN_SIZE);
	p->insn_cnt = f->cnt;
	p->sec = f->sec;
	p->sec_off = f->off;
	p->sec_cnt = f->cnt;
	/* libbpf's "?" prefix: the program does not load unless asked (or a created map uses it). */
	p->autoload = s->name[0] != '?';
	p->handle = -1;
	prog_type_of(s->name + (s->name[0] == '?'), &p->type, &p->flags);
	f->prog = p;
	return 0;
}

/* Functions from the symbol table, then programs. */
static int collect_funcs(struct sops_object *obj)
{
	GElf_Sym sym;
	int err;

	for (size_t i = 1; i < obj->sym_cnt; i++) {
		struct obj_func *f, *arr;
		struct obj_sec *s;

		if (!elf_sym(obj, i, &sym))
			return log_err(&obj->log, -EINVAL, "symbol %zu is unreadable", i);
		if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF)
			continue;
		if (sym.st_shndx >= obj->sec_cnt || obj->secs[sym.st_shndx].kind != SEC_PROG)
			return log_err(&obj->log, -EINVAL, "function '%s' is not in an executable section",
				       elf_sym_name(obj, &sym));
		s = &obj->secs[sym.st_shndx];
		if (sym.st_value % SOPS_INSN_SIZE || sym.st_size % SOPS_INSN_SIZE || !sym.st_size ||
		    sym.st_value > s->size || sym.st_size > s->size - sym.st_value)
			return log_err(&obj->log, -EINVAL,
				       "function '%s' (offset %llu, size %llu) does not fit section %s",
				       elf_sym_name(obj, &sym), (unsigned long long)sym.st_value,
				       (unsigned long long)sym.st_size, s->name);
		arr = realloc(obj->funcs, (obj->func_cnt + 1) * sizeof(*arr));
		if (!arr)
			return log_err(&obj->log, -ENOMEM, "out of memory");
		obj->funcs = arr;
		f = &arr[obj->func_cnt++];
		memset(f, 0, sizeof(*f));
		f->name = elf_sym_name(obj, &sym);
		f->sec = sym.st_shndx;
		f->off = sym.st_value / SOPS_INSN_SIZE;
		f->cnt = sym.st_size / SOPS_INSN_SIZE;
	}
	if (obj->func_cnt)
		qsort(obj->funcs, obj->func_cnt, sizeof(*obj->funcs), cmp_func);
	for (size_t i = 0; i < obj->func_cnt; i++) {
		struct obj_func *f = &obj->funcs[i];

		if (i && f[-1].sec == f->sec && f[-1].off + f[-1].cnt > f->off)
			return log_err(&obj->log, -EINVAL, "functions '%s' and '%s' overlap in section %s",
				       f[-1].name, f->name, obj->secs[f->sec].name);
		if (!strcmp(obj->secs[f->sec].name, ".text"))
			continue;
		err = add_prog(obj, f);
		if (err)
			return log_err(&obj->log, err, "out of memory");
	}
	return 0;
}

int elf_open(struct sops_object *obj)
{
	size_t shnum;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	int err;

	elf_version(EV_CURRENT);
	obj->elf = elf_memory((char *)obj->image, obj->image_size);
	if (!obj->elf || elf_kind(obj->elf) != ELF_K_ELF)
		return log_err(&obj->log, -EINVAL, "not an ELF file%s%s", obj->elf ? "" : ": ",
			       obj->elf ? "" : elf_errmsg(-1));
	if (!gelf_getehdr(obj->elf, &eh))
		return log_err(&obj->log, -EINVAL, "bad ELF header: %s", elf_errmsg(-1));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_BPF || eh.e_type != ET_REL)
		return log_err(&obj->log, -EINVAL,
			       "not a BPF object (need a 64-bit relocatable ELF for machine BPF, as clang -target bpf -c makes)");
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return log_err(&obj->log, -EOPNOTSUPP, "big-endian BPF objects are not supported");
	if (elf_getshdrnum(obj->elf, &shnum) || elf_getshdrstrndx(obj->elf, &obj->shstrndx))
		return log_err(&obj->log, -EINVAL, "bad section table: %s", elf_errmsg(-1));
	if (shnum > MAX_OBJ_SECTIONS)
		return log_err(&obj->log, -E2BIG, "%zu sections is too many", shnum);
	obj->secs = calloc(shnum ? shnum : 1, sizeof(*obj->secs));
	if (!obj->secs)
		return log_err(&obj->log, -ENOMEM, "out of memory");
	obj->sec_cnt = shnum;
	while ((scn = elf_nextscn(obj->elf, scn))) {
		size_t idx = elf_ndxscn(scn);

		if (idx >= shnum)
			return log_err(&obj->log, -EINVAL, "section index %zu out of range", idx);
		err = collect_section(obj, idx, scn);
		if (err)
			return err;
	}
	if (!obj->symtab)
		return log_err(&obj->log, -EINVAL, "no symbol table (.symtab)");
	if (obj->strtab_sec >= shnum || obj->secs[obj->strtab_sec].sh.sh_type != SHT_STRTAB)
		return log_err(&obj->log, -EINVAL, "symbol table's string table is not a string table");
	err = link_relocs(obj);
	if (err)
		return err;
	return collect_funcs(obj);
}
