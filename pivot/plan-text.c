/* plan-text.c — `shutdownfs plan` for people: sections, and the block stack
 * as a tree like lsblk with each device's teardown step. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "plan-data.h"

#define BOLD "\033[1m"
#define RED "\033[31m"
#define GREEN "\033[32m"
#define YELLOW "\033[33m"
#define RESET "\033[0m"

const char *plan_dm_type(const struct bdev *d)
{
	static const struct { const char *prefix, *type; } tab[] = {
		{ "CRYPT-LUKS1-", "luks1" }, { "CRYPT-LUKS2-", "luks2" },
		{ "CRYPT-PLAIN-", "plain crypt" }, { "CRYPT-INTEGRITY-", "integrity" },
		{ "CRYPT-VERITY-", "verity" }, { "CRYPT-", "crypt" }, { "LVM-", "lvm" },
		{ "mpath-", "multipath" }, { "part", "partition" }, { "stratis-", "stratis" },
	};
	size_t k;

	for (k = 0; k < sizeof(tab) / sizeof(tab[0]); k++)
		if (strncmp(d->dm_uuid, tab[k].prefix, strlen(tab[k].prefix)) == 0)
			return tab[k].type;
	return "dm";
}

const char *plan_size(unsigned long long bytes, char *buf, size_t sz)
{
	static const char units[] = "BKMGTPE";
	double v = (double)bytes;
	unsigned u = 0;

	while (v >= 1024 && u < sizeof(units) - 2) {
		v /= 1024;
		u++;
	}
	snprintf(buf, sz, "%.1f%c", v, units[u]);
	/* lsblk style: one decimal only below 10 and only when it says something */
	if (u == 0 || v >= 9.95 || strncmp(buf + strlen(buf) - 3, ".0", 2) == 0)
		snprintf(buf, sz, "%.0f%c", v, units[u]);
	return buf;
}

const char *plan_config_value(const struct config *c, enum config_key k, char *buf, size_t sz)
{
	if (config_value(c, k, buf, sz) < 0)
		buf[0] = '\0';
	return buf;
}

const char *plan_skel_verdict(const struct plan *p)
{
	switch (p->skel_r) {
	case 0: return "safe";
	case -EPERM: return "unsafe";
	case -ENOENT: return "missing";
	case -EFBIG: return "too-big";
	default: return "unreadable";
	}
}

/* Unbound loop devices and empty md nodes are clutter, as in lsblk. */
bool plan_dev_shown(const struct blockgraph *g, int i)
{
	const struct bdev *d = &g->devs[i];

	return d->size > 0 || d->nholders || d->nslaves || bdev_is_removable(d);
}

static void details(const struct bdev *d, char *buf, size_t sz)
{
	switch (d->kind) {
	case BDEV_DM:
		snprintf(buf, sz, "%s%s", plan_dm_type(d), d->suspended ? " suspended" : "");
		break;
	case BDEV_MD:
		snprintf(buf, sz, "%s %s %s", d->md_level, d->md_state, d->md_metadata);
		break;
	case BDEV_LOOP:
		snprintf(buf, sz, "%s%s", d->loop_backing ? d->loop_backing : "",
			 d->loop_autoclear ? " autoclear" : "");
		break;
	default:
		buf[0] = '\0';
	}
}

struct tree {
	const struct plan *p;
	FILE *f;                /* NULL: measure only */
	bool *seen;
	int namew, mountw;
};

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Partitions, then holders, each in name order (devs[] is sorted). */
static unsigned children(const struct blockgraph *g, int i, int *ret, unsigned max)
{
	unsigned n = 0, k;

	for (k = 0; k < g->n && n < max; k++)
		if (g->devs[k].kind == BDEV_PART && g->devs[k].parent == i)
			ret[n++] = (int)k;
	for (k = 0; k < g->devs[i].nholders && n < max; k++)
		ret[n++] = g->devs[i].holders[k];
	qsort(ret, n, sizeof(*ret), cmp_int);
	return n;
}

static void node(struct tree *t, int i, const char *prefix, const char *branch, unsigned depth)
{
	const struct blockgraph *g = &t->p->g;
	const struct bdev *d = &g->devs[i];
	const char *mp = bdev_mountpoint(g, i);
	char label[200], name[300], sz[16], step[16], det[PATH_MAX + 32], sub[256];
	int kids[128], w;
	unsigned n, k;

	bdev_label(d, label, sizeof(label));
	if (t->seen[i])
		strncat(label, " (see above)", sizeof(label) - strlen(label) - 1);
	snprintf(name, sizeof(name), "%s%s%s", prefix, branch, label);
	w = (int)(2 * depth + strlen(label));   /* tree glyphs are one column each */
	if (!t->f) {
		t->namew = w > t->namew ? w : t->namew;
		if (mp && (int)strlen(mp) > t->mountw)
			t->mountw = (int)strlen(mp);
	} else if (t->seen[i]) {
		fprintf(t->f, "  %s\n", name);
	} else {
		char line[sizeof(name) + sizeof(det) + PATH_MAX + 128];
		size_t len;

		snprintf(step, sizeof(step), d->step ? "%d" : "-", d->step);
		details(d, det, sizeof(det));
		snprintf(line, sizeof(line), "  %s%*s  %6s  %4s  %-12s  %-*s  %s", name,
			 t->namew - w, "", plan_size(d->size, sz, sizeof(sz)), step,
			 d->holds[0] ? d->holds : "-", t->mountw,
			 mp ? mp : bdev_is_swap(g, i) ? "[SWAP]" : "", det);
		len = strlen(line);
		while (len > 0 && line[len - 1] == ' ')
			line[--len] = '\0';
		fprintf(t->f, "%s\n", line);
	}
	if (t->seen[i] || depth > 32)
		return;
	t->seen[i] = true;
	n = children(g, i, kids, 128);
	snprintf(sub, sizeof(sub), "%s%s", prefix,
		 !*branch ? "" : strcmp(branch, "└─") == 0 ? "  " : "│ ");
	for (k = 0; k < n; k++)
		node(t, kids[k], sub, k + 1 == n ? "└─" : "├─", depth + 1);
}

static void tree_pass(struct tree *t)
{
	const struct blockgraph *g = &t->p->g;
	unsigned i;

	memset(t->seen, 0, g->n * sizeof(*t->seen));
	for (i = 0; i < g->n; i++)
		if (g->devs[i].nslaves == 0 && g->devs[i].parent < 0 && plan_dev_shown(g, (int)i))
			node(t, (int)i, "", "", 0);
}

static void print_tree(FILE *f, const struct plan *p)
{
	struct tree t = { p, NULL, calloc(p->g.n + 1, sizeof(bool)), 4, 6 };  /* [SWAP] */

	if (!t.seen)
		return;
	tree_pass(&t);
	fprintf(f, "  %-*s  %6s  %4s  %-12s  %-*s  %s\n", t.namew, "NAME", "SIZE", "STEP", "HOLDS",
		t.mountw, "MOUNT", "DETAILS");
	t.f = f;
	tree_pass(&t);
	free(t.seen);
}

static void heading(FILE *f, bool colour, const char *s)
{
	fprintf(f, "\n%s%s%s\n", colour ? BOLD : "", s, colour ? RESET : "");
}

static void print_hooks(FILE *f, const struct plan *p)
{
	unsigned ph, k;

	for (ph = 0; ph < PHASE__MAX; ph++) {
		bool any = false;

		fprintf(f, "  %-14s", phase_name(ph));
		for (k = 0; k < p->nhooks; k++) {
			if (p->hooks[k].phase != ph)
				continue;
			fprintf(f, "%s%s", any ? ", " : "", p->hooks[k].name);
			if (p->hooks[k].why)
				fprintf(f, " (skipped: %s)", p->hooks[k].why);
			any = true;
		}
		fprintf(f, "%s\n", any ? "" : "none");
	}
}

static void print_config(FILE *f, const struct plan *p)
{
	char val[PATH_MAX + 64];
	unsigned k;

	fprintf(f, "  file %s: %s\n", p->c->file[0] ? p->c->file : CONFIG_DEFAULT_FILE,
		p->c->file_used ? "read" : "not read");
	for (k = 0; k < KEY__MAX; k++)
		fprintf(f, "  %-16s %-32s (%s)\n", config_key_name(k),
			plan_config_value(p->c, k, val, sizeof(val)), config_src_name(p->c->src[k]));
}

static void print_route(FILE *f, const struct plan *p, bool colour)
{
	const struct init_route *r = &p->route;

	fprintf(f, "  PID 1: %s (%s)\n", init_kind_name(r->kind), r->exe[0] ? r->exe : r->comm);
	fprintf(f, "  route: %s\n", r->route);
	if (r->setup >= 0)
		fprintf(f, "  set up: %s%s%s (%s)\n", colour ? (r->setup ? GREEN : YELLOW) : "",
			r->setup ? "yes" : "no", colour ? RESET : "", r->setup_why);
}

void plan_print_text(FILE *f, const struct plan *p, bool colour)
{
	const char *v = plan_skel_verdict(p);
	size_t tw = 0, fw = 0;
	char sz[16];
	unsigned k;

	fprintf(f, "%sshutdownfs plan%s: what a run would do now (nothing is changed); "
		"scope: %s\n", colour ? BOLD : "", colour ? RESET : "",
		p->scope.whole_machine ? "the whole machine" : "this namespace's mounts");
	heading(f, colour, "mounts, in the order they are unmounted:");
	for (k = 0; k < p->nmounts; k++) {
		tw = strlen(p->mounts[k].target) > tw ? strlen(p->mounts[k].target) : tw;
		fw = strlen(p->mounts[k].fstype) > fw ? strlen(p->mounts[k].fstype) : fw;
	}
	for (k = 0; k < p->nmounts; k++)
		fprintf(f, "  %3u  %-*s  %-*s  %s\n", k + 1, (int)tw, p->mounts[k].target, (int)fw,
			p->mounts[k].fstype, p->mounts[k].source);
	heading(f, colour, "block devices, torn down by step after the unmounts:");
	if (p->g.n)
		print_tree(f, p);
	else
		fprintf(f, "  none\n");
	heading(f, colour, "swaps, off before the teardown:");
	for (k = 0; k < p->g.nswaps; k++)
		fprintf(f, "  %s  %s\n", p->g.swaps[k].path, p->g.swaps[k].is_file ? "file" : "partition");
	if (!p->g.nswaps)
		fprintf(f, "  none\n");
	heading(f, colour, "protected processes, spared by the kill:");
	for (k = 0; k < p->nprocs; k++)
		fprintf(f, "  %d  %s  %s\n", (int)p->procs[k].pid, p->procs[k].argv0,
			p->procs[k].by_config ? "(protect)" : "(argv[0] starts with @)");
	if (!p->nprocs)
		fprintf(f, "  none\n");
	heading(f, colour, "hooks:");
	print_hooks(f, p);
	heading(f, colour, "skeleton:");
	fprintf(f, "  %s: %s%s%s", p->c->skel, colour ? (p->skel_r ? RED : GREEN) : "", v,
		colour ? RESET : "");
	if (p->skel_r == 0)
		fprintf(f, ", %s in %u files\n", plan_size(p->skel_st.bytes, sz, sizeof(sz)),
			p->skel_st.files);
	else
		fprintf(f, " (%s)\n", p->skel_why);
	heading(f, colour, "init route (docs/init-*.md):");
	print_route(f, p, colour);
	heading(f, colour, "config:");
	print_config(f, p);
	heading(f, colour, "warnings:");
	for (k = 0; k < p->nwarn; k++)
		fprintf(f, "  %s%s%s\n", colour ? YELLOW : "", p->warn[k], colour ? RESET : "");
	if (!p->nwarn)
		fprintf(f, "  none\n");
}
