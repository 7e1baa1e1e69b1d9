/* layers.h — one line per torn-down layer (what it was, what was done, how
 * long) for the console's glance and the record: kept in the run record so
 * a restarted worker does not lose them, bounded so 1000 LVs cannot scroll
 * the summary off the screen. */
#ifndef LAYERS_H
#define LAYERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LAYERS_MAX 48           /* kept; the rest only counted */
#define LAYERS_SHOWN 16         /* printed before the summary; then "and N more" */
#define LAYER_KIND_MAX 12
#define LAYER_NAME_MAX 96
#define LAYER_OUTCOME_MAX 80

struct layer {
	char kind[LAYER_KIND_MAX];      /* luks, crypt, lv, dm, md, loop, swap, root */
	char name[LAYER_NAME_MAX];      /* "dm-2 (crypt0)", "md0", "/oldroot" */
	char outcome[LAYER_OUTCOME_MAX];/* "removed, key wiped", "left, held by dm-3" */
	uint32_t ms;                    /* the call (or the unmount phase) that did it */
	bool left;                      /* still there at the end */
};

struct layer_set {
	unsigned n;
	unsigned more;                  /* noted past LAYERS_MAX */
	uint64_t unmount_since_ms;      /* the first unmount pass, for the root's line */
	struct layer v[LAYERS_MAX];
};

struct bdev;
struct scope;

#include "blockgraph.h"

/* Note an outcome; a second note of the same kind and name replaces the
 * first (detached, then released). When full, a leftover takes the place
 * of the oldest layer that went well: what is left must show. */
void layers_note(struct layer_set *ls, const char *kind, const char *name,
		 const char *outcome, uint64_t ms);
/* The same into the run record; and for a block device of the graph. */
void layers_note_run(const char *kind, const char *name, const char *outcome, uint64_t ms);
void layers_note_bdev(const struct bdev *d, const char *outcome, uint64_t ms);
/* "luks" for a LUKS mapping, "lv" for an LVM LV, ... */
const char *layers_kind_of(const struct bdev *d);
/* The unmount of the old root (s->oldroot; nothing in the fallback, where
 * "/" stays): the first call starts its clock, later ones say what became
 * of it. path other than the old root is ignored. */
void layers_unmount_started(void);
void layers_note_root(const struct scope *s, const char *path, const char *outcome);
/* A detached old root whose superblock went after all (umount_released). */
void layers_root_released(const char *path);
/* layers-hook.c: around one hook, what it took down (dm, md in scope). */
struct layers_snap {
	struct blockgraph g;
	bool ok;
	uint64_t t0;
};
void layers_hook_before(struct layers_snap *sn);
void layers_hook_after(struct layers_snap *sn, const char *label);

/* Line i (0 <= i < layers_lines()) without the "shutdownfs: " prefix:
 * at most LAYERS_SHOWN layers, then "layers: and N more" when some are
 * not shown. */
unsigned layers_lines(const struct layer_set *ls);
const char *layers_line(const struct layer_set *ls, unsigned i, char *buf, size_t n);

#endif
