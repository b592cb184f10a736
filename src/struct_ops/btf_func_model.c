/* SPDX-License-Identifier: MIT */
/*
 * btf_func_model.c - distilling an ops member's calling convention from BTF; see btf_func_model.h.
 *
 * Types are read through libbpf's BTF API; typedefs and qualifiers are looked
 * through with btf__resolve_type() so `typedef const u32 x_t` counts as a u32.
 */
#include <errno.h>
#include <stdio.h>

#include <bpf/btf.h>

#include "btf_func_model.h"

/* Width and flags of one value type; @what names it in messages. */
static int classify(const struct btf *btf, uint32_t id, const char *what, uint8_t *size,
		    uint8_t *flags, struct sops_log *log)
{
	int rid = btf__resolve_type(btf, id);
	const struct btf_type *t;

	if (rid < 0)
		return log_err(log, -EINVAL, "%s: BTF type %u cannot be resolved", what, id);
	t = btf__type_by_id(btf, rid);
	if (!t)
		return log_err(log, -EINVAL, "%s: BTF type %d does not exist", what, rid);
	*flags = 0;
	if (btf_is_ptr(t)) {
		*size = 8;
		return 0;
	}
	if (btf_is_int(t)) {
		uint8_t enc = btf_int_encoding(t);

		if (t->size > 8 || (t->size & (t->size - 1)))
			return log_err(log, -EINVAL, "%s: integers of %u bytes are not supported", what, t->size);
		*size = (uint8_t)t->size;
		if (enc & BTF_INT_SIGNED)
			*flags = FMODEL_SIGNED;
		return 0;
	}
	if (btf_is_enum(t) || btf_is_enum64(t)) {
		*size = (uint8_t)t->size;
		if (btf_kflag(t))
			*flags = FMODEL_SIGNED;
		return 0;
	}
	if (btf_is_composite(t)) {
		if (t->size == 0 || t->size > 16)
			return log_err(log, -EINVAL, "%s: a struct or union of %u bytes cannot be passed by value",
				       what, t->size);
		*size = (uint8_t)t->size;
		*flags = FMODEL_STRUCT;
		return 0;
	}
	return log_err(log, -EINVAL, "%s: BTF kind %u is not a supported argument type", what,
		       btf_kind(t));
}

int func_model_from_btf(const struct btf *btf, uint32_t proto_id, struct func_model *m,
			struct sops_log *log)
{
	const struct btf_type *t = btf__type_by_id(btf, proto_id);
	const struct btf_param *p;
	unsigned int slots;
	uint16_t n;
	int err;

	if (t && btf_is_ptr(t))
		t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_func_proto(t))
		return log_err(log, -EINVAL, "BTF type %u is not a function prototype", proto_id);
	n = btf_vlen(t);
	p = btf_params(t);
	if (n && !p[n - 1].type)
		return log_err(log, -EINVAL, "variadic functions are not supported");
	if (n > FUNC_MODEL_MAX_ARGS)
		return log_err(log, -EINVAL, "%u arguments; at most %d are supported", n,
			       FUNC_MODEL_MAX_ARGS);
	m->nr_args = (uint8_t)n;
	m->ret_size = 0;
	m->ret_flags = 0;
	if (t->type) {
		err = classify(btf, t->type, "return value", &m->ret_size, &m->ret_flags, log);
		if (err)
			return err;
		if (m->ret_flags & FMODEL_STRUCT)
			return log_err(log, -EINVAL, "returning a struct by value is not supported");
	}
	for (uint16_t i = 0; i < n; i++) {
		char what[32];

		snprintf(what, sizeof(what), "argument %u", i);
		err = classify(btf, p[i].type, what, &m->arg_size[i], &m->arg_flags[i], log);
		if (err)
			return err;
	}
	slots = func_model_ctx_slots(m);
	if (slots > FUNC_MODEL_MAX_ARGS)
		return log_err(log, -EINVAL, "arguments fill %u context slots; at most %d are supported",
			       slots, FUNC_MODEL_MAX_ARGS);
	return 0;
}
