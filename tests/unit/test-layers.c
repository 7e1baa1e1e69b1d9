/* test-layers.c — the glance's per-layer lines: bounded (1000 LVs do not
 * scroll the summary away), leftovers shown first, one line per object,
 * logged just above the summary, and kept in the run record across a
 * worker that dies. */
#include <sys/mman.h>

#include "blockgraph.h"
#include "final.h"
#include "harness.h"
#include "layers.h"
#include "log.h"
#include "state.h"

static char line[512];

static void t_lines_in_order(void)
{
	struct layer_set ls = { 0 };

	CHECK_EQ_INT(layers_lines(&ls), 0);
	layers_note(&ls, "lv", "dm-1 (vg0-root)", "removed", 3);
	layers_note(&ls, "luks", "dm-0 (md-crypt)", "removed, key wiped", 34);
	layers_note(&ls, "md", "md127", "stopped", 120);
	CHECK_EQ_INT(layers_lines(&ls), 3);
	CHECK_STR(layers_line(&ls, 0, line, sizeof(line)), "layer lv dm-1 (vg0-root): removed, 3 ms");
	CHECK_STR(layers_line(&ls, 1, line, sizeof(line)),
		  "layer luks dm-0 (md-crypt): removed, key wiped, 34 ms");
	CHECK_STR(layers_line(&ls, 2, line, sizeof(line)), "layer md md127: stopped, 120 ms");
	CHECK(layers_line(&ls, 3, line, sizeof(line)) == NULL);
}

/* a second outcome for the same object replaces the first: one line each */
static void t_same_object_one_line(void)
{
	struct layer_set ls = { 0 };

	layers_note(&ls, "root", "/oldroot", "left, lazily detached", 900);
	layers_note(&ls, "swap", "/dev/vdc", "off", 2);
	layers_note(&ls, "root", "/oldroot", "unmounted", 950);
	CHECK_EQ_INT(layers_lines(&ls), 2);
	CHECK_STR(layers_line(&ls, 0, line, sizeof(line)), "layer root /oldroot: unmounted, 950 ms");
	CHECK(!ls.v[0].left);
}

/* 1000 LVs and one left behind: 16 lines and "and N more", the leftover
 * first, so the console keeps the summary in view and shows what matters */
static void t_thousand_lvs_capped(void)
{
	static struct layer_set ls;
	char name[64];
	unsigned i;

	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "dm-%u (vg0-lv%u)", i, i);
		layers_note(&ls, "lv", name, "removed", 1);
	}
	layers_note(&ls, "luks", "dm-1000 (crypt0)", "left, held by dm-3", 0);
	CHECK_EQ_INT(ls.n, LAYERS_MAX);
	CHECK_EQ_INT(layers_lines(&ls), LAYERS_SHOWN + 1);
	CHECK_STR(layers_line(&ls, 0, line, sizeof(line)),
		  "layer luks dm-1000 (crypt0): left, held by dm-3, 0 ms");
	/* then the oldest kept of those that went well */
	CHECK(strstr(layers_line(&ls, 1, line, sizeof(line)), ": removed, 1 ms"));
	CHECK_STR(layers_line(&ls, LAYERS_SHOWN, line, sizeof(line)),
		  "layers: and 985 more, in the log above");
	CHECK(layers_line(&ls, LAYERS_SHOWN + 1, line, sizeof(line)) == NULL);
}

static void t_kind_of(void)
{
	struct bdev d;

	memset(&d, 0, sizeof(d));
	d.kind = BDEV_DM;
	snprintf(d.dm_uuid, sizeof(d.dm_uuid), "CRYPT-LUKS2-3f1e0c5b-md-crypt");
	CHECK_STR(layers_kind_of(&d), "luks");
	snprintf(d.dm_uuid, sizeof(d.dm_uuid), "CRYPT-PLAIN-x");
	CHECK_STR(layers_kind_of(&d), "crypt");
	snprintf(d.dm_uuid, sizeof(d.dm_uuid), "CRYPT-INTEGRITY-x");
	CHECK_STR(layers_kind_of(&d), "integrity");
	snprintf(d.dm_uuid, sizeof(d.dm_uuid), "LVM-Wq3xCk9d");
	CHECK_STR(layers_kind_of(&d), "lv");
	d.dm_uuid[0] = '\0';
	CHECK_STR(layers_kind_of(&d), "dm");
	d.kind = BDEV_MD;
	CHECK_STR(layers_kind_of(&d), "md");
	d.kind = BDEV_LOOP;
	CHECK_STR(layers_kind_of(&d), "loop");
}

/* the old root's line: only the old root itself, never "/" (the fallback
 * keeps it), timed from the first unmount pass */
static void t_root_only(void)
{
	struct scope s;
	struct layer_set *ls = &state()->layers;

	scope_init(&s, true, "/oldroot");
	layers_unmount_started();
	CHECK(ls->unmount_since_ms > 0);
	layers_note_root(&s, "/oldroot/home", "unmounted");
	CHECK_EQ_INT(ls->n, 0);
	layers_note_root(&s, "/oldroot", "left read-only, lazily detached");
	CHECK_EQ_INT(ls->n, 1);
	CHECK(ls->v[0].left);
	layers_root_released("/oldroot");
	CHECK_STR(ls->v[0].outcome, "lazily detached, then released");
	CHECK(!ls->v[0].left);
	scope_init(&s, true, "/");
	layers_note_root(&s, "/", "unmounted");
	CHECK_EQ_INT(ls->n, 1);
}

/* The summary phase logs the layer lines, then the summary, last. */
static void t_logged_above_summary(void)
{
	struct stats st = { 0 };
	const char *h, *a, *b, *sum;

	layers_note_run("luks", "dm-0 (md-crypt)", "removed, key wiped", 34);
	layers_note_run("md", "md127", "stopped", 120);
	final_summary(ACTION_POWEROFF, &st, 0, false);
	(void)log_history(&h);
	a = strstr(h, "shutdownfs: layer luks dm-0 (md-crypt): removed, key wiped, 34 ms\n");
	b = strstr(h, "shutdownfs: layer md md127: stopped, 120 ms\n");
	sum = strstr(h, "shutdownfs: summary action=poweroff result=clean ");
	CHECK(a && b && sum);
	CHECK(a < b && b < sum);
	CHECK(strchr(sum, '\n') && strchr(sum, '\n')[1] == '\0');
}

/* A worker that notes a layer and dies: the next one (and PID 1) still has
 * it, because the set lives in the shared run record. */
static void t_survives_a_worker(void)
{
	struct run_state *rs = state_create();
	pid_t pid;
	int st;

	CHECK(rs);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		layers_note_run("lv", "dm-1 (vg0-root)", "removed", 3);
		_exit(9);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK_EQ_INT(state()->layers.n, 1);
	CHECK_STR(state()->layers.v[0].name, "dm-1 (vg0-root)");
}

static const struct test tests[] = {
	{ "layers-lines-in-order", t_lines_in_order },
	{ "layers-same-object-one-line", t_same_object_one_line },
	{ "layers-1000-lvs-capped-leftover-first", t_thousand_lvs_capped },
	{ "layers-kind-of", t_kind_of },
	{ "layers-root-only", t_root_only },
	{ "layers-logged-above-summary", t_logged_above_summary },
	{ "layers-survive-a-worker", t_survives_a_worker },
};

TEST_MAIN(tests)
