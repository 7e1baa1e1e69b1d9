/* layers.c — the per-layer lines of the glance: noted by the teardown as
 * each object goes (or is found left), printed by the summary phase
 * (final.c) and the console's glance (report-run.c). */
#include <stdio.h>
#include <string.h>

#include "blockgraph.h"
#include "layers.h"
#include "clock.h"
#include "spawn.h"
#include "state.h"

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

/* the slot for a new note: its own, a free one, or the oldest that went
 * well when a leftover arrives at a full set; NULL: only counted */
static struct layer *slot(struct layer_set *ls, const char *kind, const char *name, bool left)
{
	unsigned i;

	for (i = 0; i < ls->n; i++)
		if (strcmp(ls->v[i].kind, kind) == 0 && strcmp(ls->v[i].name, name) == 0)
			return &ls->v[i];
	if (ls->n < LAYERS_MAX)
		return &ls->v[ls->n++];
	ls->more++;
	if (!left)
		return NULL;
	for (i = 0; i < ls->n; i++)
		if (!ls->v[i].left) {
			memmove(&ls->v[i], &ls->v[i + 1], (ls->n - i - 1) * sizeof(ls->v[0]));
			return &ls->v[ls->n - 1];
		}
	return NULL;
}

void layers_note(struct layer_set *ls, const char *kind, const char *name,
		 const char *outcome, uint64_t ms)
{
	bool left = strncmp(outcome, "left", 4) == 0;
	struct layer *l = slot(ls, kind, name, left);

	if (!l)
		return;
	copy(l->kind, sizeof(l->kind), kind);
	copy(l->name, sizeof(l->name), name);
	copy(l->outcome, sizeof(l->outcome), outcome);
	l->ms = ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
	l->left = left;
}

const char *layers_kind_of(const struct bdev *d)
{
	switch (d->kind) {
	case BDEV_DM:
		if (strncmp(d->dm_uuid, "CRYPT-LUKS", 10) == 0)
			return "luks";
		if (strncmp(d->dm_uuid, "CRYPT-INTEGRITY-", 16) == 0)
			return "integrity";
		if (bdev_is_dm_crypt(d))
			return "crypt";
		if (strncmp(d->dm_uuid, "LVM-", 4) == 0)
			return "lv";
		return "dm";
	case BDEV_MD:
		return "md";
	case BDEV_LOOP:
		return "loop";
	default:
		return "dev";
	}
}

void layers_note_run(const char *kind, const char *name, const char *outcome, uint64_t ms)
{
	layers_note(&state()->layers, kind, name, outcome, ms);
}

void layers_note_bdev(const struct bdev *d, const char *outcome, uint64_t ms)
{
	char label[LAYER_NAME_MAX];

	layers_note_run(layers_kind_of(d), bdev_label(d, label, sizeof(label)), outcome, ms);
}

void layers_unmount_started(void)
{
	struct layer_set *ls = &state()->layers;

	if (!ls->unmount_since_ms)
		ls->unmount_since_ms = now_ms();
}

void layers_note_root(const struct scope *s, const char *path, const char *outcome)
{
	struct layer_set *ls = &state()->layers;
	uint64_t t = now_ms();

	if (strcmp(path, s->oldroot) != 0 || strcmp(path, "/") == 0)
		return;
	layers_note(ls, "root", path, outcome,
		    ls->unmount_since_ms && t > ls->unmount_since_ms ? t - ls->unmount_since_ms : 0);
}

void layers_root_released(const char *path)
{
	struct layer_set *ls = &state()->layers;
	unsigned i;

	for (i = 0; i < ls->n; i++)
		if (strcmp(ls->v[i].kind, "root") == 0 && strcmp(ls->v[i].name, path) == 0) {
			copy(ls->v[i].outcome, sizeof(ls->v[i].outcome),
			     "lazily detached, then released");
			ls->v[i].left = false;
		}
}

unsigned layers_lines(const struct layer_set *ls)
{
	unsigned shown = ls->n < LAYERS_SHOWN ? ls->n : LAYERS_SHOWN;

	return shown + (ls->n + ls->more > shown);
}

const char *layers_line(const struct layer_set *ls, unsigned i, char *buf, size_t n)
{
	unsigned shown = ls->n < LAYERS_SHOWN ? ls->n : LAYERS_SHOWN;
	const struct layer *l;

	if (i >= layers_lines(ls) || n == 0)
		return NULL;
	if (i == shown) {
		snprintf(buf, n, "layers: and %u more, in the log above", ls->n + ls->more - shown);
		return buf;
	}
	/* over the cap the leftovers are shown first: they are what matters */
	l = &ls->v[i];
	if (ls->n > shown) {
		unsigned k, seen = 0;

		for (k = 0; k < ls->n; k++)
			if (ls->v[k].left && seen++ == i)
				break;
		if (k == ls->n)
			for (k = 0; k < ls->n; k++)
				if (!ls->v[k].left && seen++ == i)
					break;
		l = &ls->v[k < ls->n ? k : i];
	}
	snprintf(buf, n, "layer %s %s: %s, %u ms", l->kind, l->name, l->outcome, l->ms);
	return buf;
}
