/* plan-json.c — `shutdownfs plan --json`: the same as the text, as one JSON
 * document for tools and tests. The schema is in docs/plan.md. */
#include <stdio.h>
#include <sys/sysmacros.h>

#include "json.h"
#include "plan-data.h"

static void json_devno(struct json *j, const char *key, dev_t dev)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%u:%u", major(dev), minor(dev));
	json_str(j, key, buf);
}

static void json_names(struct json *j, const char *key, const struct blockgraph *g,
		       const int *idx, unsigned n)
{
	unsigned k;

	json_open(j, key, '[');
	for (k = 0; k < n; k++)
		json_str(j, NULL, g->devs[idx[k]].name);
	json_close(j, ']');
}

static const char *kind_name(enum bdev_kind k)
{
	static const char *const names[] = { "disk", "part", "dm", "md", "loop" };

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "other";
}

static void json_kind_details(struct json *j, const struct blockgraph *g, const struct bdev *d)
{
	if (d->kind == BDEV_DM) {
		json_open(j, "dm", '{');
		json_str(j, "name", d->dm_name);
		json_str(j, "uuid", d->dm_uuid);
		json_str(j, "type", plan_dm_type(d));
		json_bool(j, "crypt", bdev_is_crypt(d));
		json_bool(j, "suspended", d->suspended);
		json_close(j, '}');
	} else if (d->kind == BDEV_MD) {
		json_open(j, "md", '{');
		json_str(j, "level", d->md_level);
		json_str(j, "state", d->md_state);
		json_str(j, "metadata", d->md_metadata);
		json_str(j, "container", d->container >= 0 ? g->devs[d->container].name : NULL);
		json_close(j, '}');
	} else if (d->kind == BDEV_LOOP) {
		json_open(j, "loop", '{');
		json_str(j, "backing_file", d->loop_backing);
		json_bool(j, "autoclear", d->loop_autoclear);
		json_str(j, "backing_device",
			 d->backing_on >= 0 ? g->devs[d->backing_on].name : NULL);
		json_close(j, '}');
	}
}

static void json_device(struct json *j, const struct blockgraph *g, int i)
{
	const struct bdev *d = &g->devs[i];

	json_open(j, NULL, '{');
	json_str(j, "name", d->name);
	json_devno(j, "dev", d->dev);
	json_str(j, "kind", kind_name(d->kind));
	json_uint(j, "size", d->size);
	json_str(j, "holds", d->holds[0] ? d->holds : NULL);
	json_str(j, "parent", d->parent >= 0 ? g->devs[d->parent].name : NULL);
	json_names(j, "slaves", g, d->slaves, d->nslaves);
	json_names(j, "holders", g, d->holders, d->nholders);
	json_str(j, "mountpoint", bdev_mountpoint(g, i));
	json_bool(j, "swap", bdev_is_swap(g, i));
	if (d->step)
		json_int(j, "step", d->step);
	else
		json_null(j, "step");
	json_kind_details(j, g, d);
	json_close(j, '}');
}

static void json_mounts(struct json *j, const struct plan *p)
{
	unsigned k;

	json_open(j, "mounts", '[');
	for (k = 0; k < p->nmounts; k++) {
		json_open(j, NULL, '{');
		json_int(j, "order", k + 1);
		json_str(j, "target", p->mounts[k].target);
		json_str(j, "source", p->mounts[k].source);
		json_str(j, "fstype", p->mounts[k].fstype);
		json_devno(j, "dev", p->mounts[k].dev);
		json_close(j, '}');
	}
	json_close(j, ']');
}

static void json_swaps_procs(struct json *j, const struct plan *p)
{
	const struct blockgraph *g = &p->g;
	unsigned k;

	json_open(j, "swaps", '[');
	for (k = 0; k < g->nswaps; k++) {
		json_open(j, NULL, '{');
		json_str(j, "path", g->swaps[k].path);
		json_str(j, "type", g->swaps[k].is_file ? "file" : "partition");
		json_str(j, "device", g->swaps[k].dev >= 0 ? g->devs[g->swaps[k].dev].name : NULL);
		json_close(j, '}');
	}
	json_close(j, ']');
	json_open(j, "protected", '[');
	for (k = 0; k < p->nprocs; k++) {
		json_open(j, NULL, '{');
		json_int(j, "pid", p->procs[k].pid);
		json_str(j, "comm", p->procs[k].comm);
		json_str(j, "argv0", p->procs[k].argv0);
		json_str(j, "reason", p->procs[k].by_config ? "protect" : "at-sign");
		json_close(j, '}');
	}
	json_close(j, ']');
}

static void json_hooks(struct json *j, const struct plan *p)
{
	unsigned ph, k;

	json_open(j, "hooks", '{');
	for (ph = 0; ph < PHASE__MAX; ph++) {
		json_open(j, phase_name(ph), '[');
		for (k = 0; k < p->nhooks; k++) {
			if (p->hooks[k].phase != ph)
				continue;
			json_open(j, NULL, '{');
			json_str(j, "name", p->hooks[k].name);
			json_bool(j, "runs", !p->hooks[k].why);
			json_str(j, "why", p->hooks[k].why);
			json_close(j, '}');
		}
		json_close(j, ']');
	}
	json_close(j, '}');
}

static void json_setup(struct json *j, const struct plan *p)
{
	char val[PATH_MAX + 64];
	unsigned k;

	json_open(j, "skeleton", '{');
	json_str(j, "path", p->c->skel);
	json_str(j, "verdict", plan_skel_verdict(p));
	json_str(j, "why", p->skel_r ? p->skel_why : NULL);
	json_uint(j, "bytes", p->skel_st.bytes);
	json_uint(j, "files", p->skel_st.files);
	json_uint(j, "dirs", p->skel_st.dirs);
	json_uint(j, "links", p->skel_st.links);
	json_close(j, '}');
	json_open(j, "config", '{');
	json_str(j, "file", p->c->file[0] ? p->c->file : CONFIG_DEFAULT_FILE);
	json_bool(j, "file_used", p->c->file_used);
	json_open(j, "values", '{');
	for (k = 0; k < KEY__MAX; k++) {
		json_open(j, config_key_name(k), '{');
		json_str(j, "value", plan_config_value(p->c, k, val, sizeof(val)));
		json_str(j, "source", config_src_name(p->c->src[k]));
		json_close(j, '}');
	}
	json_close(j, '}');
	json_close(j, '}');
}

static void json_route(struct json *j, const struct init_route *r)
{
	json_open(j, "init", '{');
	json_str(j, "name", init_kind_name(r->kind));
	json_str(j, "exe", r->exe[0] ? r->exe : NULL);
	json_str(j, "comm", r->comm);
	json_str(j, "route", r->route);
	if (r->setup < 0)
		json_null(j, "set_up");
	else
		json_bool(j, "set_up", r->setup > 0);
	json_str(j, "why", r->setup_why[0] ? r->setup_why : NULL);
	json_close(j, '}');
}

void plan_print_json(FILE *f, const struct plan *p)
{
	struct json j;
	unsigned i;

	json_init(&j, f);
	json_open(&j, NULL, '{');
	json_str(&j, "version", SHUTDOWNFS_VERSION);
	json_bool(&j, "whole_machine", p->scope.whole_machine);
	json_mounts(&j, p);
	json_int(&j, "steps", p->steps);
	json_open(&j, "devices", '[');
	for (i = 0; i < p->g.n; i++)
		if (plan_dev_shown(&p->g, (int)i))
			json_device(&j, &p->g, (int)i);
	json_close(&j, ']');
	json_swaps_procs(&j, p);
	json_hooks(&j, p);
	json_setup(&j, p);
	json_route(&j, &p->route);
	json_open(&j, "warnings", '[');
	for (i = 0; i < p->nwarn; i++)
		json_str(&j, NULL, p->warn[i]);
	json_close(&j, ']');
	json_close(&j, '}');
}
