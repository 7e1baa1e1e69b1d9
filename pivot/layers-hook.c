/* layers-hook.c — the layers a hook took down (vgchange -an, cryptsetup
 * close, mdadm --stop): the dm and md devices in scope before the hook that
 * sysfs no longer shows after it, each noted with the hook's name and time.
 * Loop devices stay in sysfs when detached; detach-loop.c notes them. */
#include <stdio.h>
#include <string.h>

#include "blockgraph.h"
#include "clock.h"
#include "layers.h"
#include "spawn.h"
#include "state.h"

void layers_hook_before(struct layers_snap *sn)
{
	struct run_state *rs = state();

	memset(sn, 0, sizeof(*sn));
	sn->t0 = now_ms();
	/* stage 2 only: before the scope is fixed nothing is torn down */
	sn->ok = rs->scope_ready && blockgraph_load(&sn->g, &rs->scope) == 0;
}

void layers_hook_after(struct layers_snap *sn, const char *label)
{
	const struct scope *s = &state()->scope;
	uint64_t ms = now_ms() - sn->t0;
	unsigned i;

	if (!sn->ok)
		return;
	for (i = 0; i < sn->g.n; i++) {
		const struct bdev *d = &sn->g.devs[i];
		char outcome[LAYER_OUTCOME_MAX];

		if ((d->kind != BDEV_DM && d->kind != BDEV_MD) || !scope_has(s, d->dev) ||
		    !bdev_gone(s->sysfs, d))
			continue;
		snprintf(outcome, sizeof(outcome), "%s by hook %s%s",
			 d->kind == BDEV_MD ? "stopped" : "removed", label,
			 bdev_is_dm_crypt(d) ? ", key wiped" : "");
		layers_note_bdev(d, outcome, ms);
	}
	blockgraph_free(&sn->g);
	sn->ok = false;
}
