/* SPDX-License-Identifier: MIT */
/* conformance.c - reading bpf_conformance .data files; see conformance.h. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <structops/asm.h>

#include "conformance.h"

enum section { SEC_NONE, SEC_ASM, SEC_RESULT, SEC_MEM, SEC_RAW, SEC_IGNORED };

const char *conf_dir(void)
{
	const char *env = getenv("STRUCTOPS_CONFORMANCE_DIR");

	return env && *env ? env : "../shared/conformance/tests";
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int conf_list(const char *dir, char ***out)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	int cnt = 0, cap = 0;
	struct dirent *e;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (len < 6 || strcmp(e->d_name + len - 5, ".data"))
			continue;
		if (cnt == cap) {
			char **bigger = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*names));

			if (!bigger)
				break;
			names = bigger;
		}
		names[cnt] = strdup(e->d_name);
		if (names[cnt])
			cnt++;
	}
	closedir(d);
	if (cnt)
		qsort(names, cnt, sizeof(*names), cmp_names);
	*out = names;
	return cnt;
}

void conf_free_names(char **names, int cnt)
{
	for (int i = 0; i < cnt; i++)
		free(names[i]);
	free(names);
}

static void append(char **buf, size_t *len, const char *line)
{
	size_t n = strlen(line);
	char *bigger = realloc(*buf, *len + n + 2);

	if (!bigger)
		return;
	memcpy(bigger + *len, line, n);
	bigger[*len + n] = '\n';
	bigger[*len + n + 1] = '\0';
	*buf = bigger;
	*len += n + 1;
}

static enum section section_of(const char *line)
{
	if (strstr(line, "asm"))
		return SEC_ASM;
	if (strstr(line, "result"))
		return SEC_RESULT;
	if (strstr(line, "mem"))
		return SEC_MEM;
	if (strstr(line, "raw"))
		return SEC_RAW;
	return SEC_IGNORED;
}

static void parse_mem(struct conf_test *t, char *line)
{
	for (char *tok = strtok(line, " \t"); tok; tok = strtok(NULL, " \t")) {
		uint8_t *bigger = realloc(t->mem, t->mem_len + 1);

		if (!bigger)
			return;
		t->mem = bigger;
		t->mem[t->mem_len++] = (uint8_t)strtoul(tok, NULL, 16);
	}
}

static void parse_raw(struct conf_test *t, char *line)
{
	for (char *tok = strtok(line, " \t"); tok; tok = strtok(NULL, " \t")) {
		struct sops_insn *bigger = realloc(t->raw, (t->raw_cnt + 1) * sizeof(*bigger));
		uint64_t v = strtoull(tok, NULL, 0);

		if (!bigger)
			return;
		t->raw = bigger;
		memcpy(&t->raw[t->raw_cnt++], &v, sizeof(v));
	}
}

int conf_parse(const char *path, struct conf_test *t)
{
	enum section sec = SEC_NONE;
	size_t asm_len = 0;
	char line[4096];
	const char *base = strrchr(path, '/');
	FILE *f = fopen(path, "r");

	memset(t, 0, sizeof(*t));
	if (!f)
		return -errno;
	snprintf(t->name, sizeof(t->name), "%s", base ? base + 1 : path);
	while (fgets(line, sizeof(line), f)) {
		char *hash = strchr(line, '#'), *p = line, *end;

		if (hash)
			*hash = '\0';
		end = line + strlen(line);
		while (end > line && strchr(" \t\r\n", end[-1]))
			*--end = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			continue;
		if (strstr(p, "--")) {
			sec = section_of(p);
			continue;
		}
		switch (sec) {
		case SEC_ASM:
			append(&t->asm_text, &asm_len, p);
			break;
		case SEC_RESULT:
			t->result = strstr(p, "0x") || strstr(p, "0X") ? strtoull(p, NULL, 16)
								       : strtoull(p, NULL, 10);
			t->has_result = 1;
			break;
		case SEC_MEM:
			parse_mem(t, p);
			break;
		case SEC_RAW:
			parse_raw(t, p);
			break;
		default:
			break;
		}
	}
	fclose(f);
	return 0;
}

void conf_test_free(struct conf_test *t)
{
	free(t->asm_text);
	free(t->mem);
	free(t->raw);
	memset(t, 0, sizeof(*t));
}

int conf_program(const struct conf_test *t, struct sops_insn **insns, size_t *cnt, char *err,
		 size_t err_size)
{
	if (t->raw_cnt) {
		*insns = malloc(t->raw_cnt * sizeof(**insns));
		if (!*insns)
			return -ENOMEM;
		memcpy(*insns, t->raw, t->raw_cnt * sizeof(**insns));
		*cnt = t->raw_cnt;
		return 0;
	}
	if (!t->asm_text) {
		snprintf(err, err_size, "no asm section");
		return -EINVAL;
	}
	return sops_asm__parse(t->asm_text, insns, cnt, err, err_size);
}
