/* teardown.h — native teardown of the block stack, one file per device kind.
 * Each *_detach_all() walks the devices in scope, removes those that nothing
 * holds and nothing mounts, counts what it removed into st, sets *changed
 * when sysfs shows a device gone, and never stops early. It returns how many
 * of ours it left, or -errno when it could not look: 0 is a promise that
 * nothing of its kind is left. last_try raises the log level so only real
 * leftovers show as errors. worker.c runs them in a fixpoint loop together
 * with the unmount pass, which returns the same count for mounts. */
#ifndef TEARDOWN_H
#define TEARDOWN_H

#include <stdbool.h>

#include "blockgraph.h"
#include "shutdownfs.h"
#include "scope.h"

/* detach-dm.c: resume every suspended dm device in scope before unmounting
 * (I/O to a suspended device blocks every sync and umount). */
int dm_resume_all(const struct scope *s);
int dm_detach_all(const struct scope *s, bool last_try, bool *changed, struct stats *st);
/* The same on a graph already loaded and ordered (blockgraph_load_ordered);
 * what it removes is forgotten in g (blockgraph_forget). */
int dm_detach_graph(const struct scope *s, struct blockgraph *g, const int *order, unsigned n,
		    bool last_try, bool *changed, struct stats *st);
/* detach-dm-keys.c: dm mappings in scope that may still hold a key: a
 * CRYPT- uuid (cryptsetup's), or a `crypt` target in the live or inactive
 * table (DM_TABLE_STATUS; `dmsetup create` sets no uuid). Runs in a bounded
 * child. Contract: >= 0 is the count; a negative errno means it cannot
 * tell (sysfs or the control device unreadable, an ioctl failed, no answer
 * in time), and the caller must treat that as keys left: kexec refused. */
int dm_crypt_left(const struct scope *s);
/* detach-md.c */
int md_detach_all(const struct scope *s, bool last_try, bool *changed, struct stats *st);
int md_detach_graph(const struct scope *s, struct blockgraph *g, const int *order, unsigned n,
		    bool last_try, bool *changed, struct stats *st);
/* dm, then md, on one read of the graph: the device half of a pass (each
 * graph read costs tens of ms under TCG). Returns what the two left. */
int devices_detach_all(const struct scope *s, bool last_try, bool *changed, struct stats *st);
/* blockgraph_load_ordered(), its failure logged (an error on the last try). */
int devices_graph_load(const struct scope *s, bool last_try, struct blockgraph *g, int **order,
		       unsigned *n);
/* detach-loop.c: note the loops in scope attached now, so that those that
 * go away later (autoclear after their unmount) are counted too. */
void loop_note_attached(const struct scope *s);
int loop_detach_all(const struct scope *s, bool last_try, bool *changed, struct stats *st);
/* detach-swap.c: open every swap in scope now, before the first unmount
 * pass, so that it is swapped off through that fd (/proc/self/fd/N) even
 * after the old root is detached and its path no longer resolves. The fd
 * is closed once the swap is off. */
void swap_note_all(const struct scope *s);
int swap_detach_all(const struct scope *s, bool last_try, bool *changed, struct stats *st);
/* Swaps in scope still on (named at LOG_LVL_ERR), for the summary's left=. */
unsigned swap_left(const struct scope *s);

/* blockgraph.c: count of block devices in scope that are still present
 * (dm, md, loop with a backing file), for the summary's left=. Names each
 * one at LOG_LVL_ERR when log_left is set. */
unsigned blockgraph_left(const struct scope *s, bool log_left);

#endif
