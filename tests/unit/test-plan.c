/* test-plan.c — `shutdownfs plan` on fixture trees: the block tree with its
 * steps, hooks, protected processes, skeleton verdict, config and warnings,
 * as text and as JSON (checked with python3's json module). */
#include <sys/stat.h>

#include "harness.h"
#include "fixture-path.h"
#include "plan-data.h"

static char tmp[64];
static char out[1 << 17];
static struct config cfg;
static char p_sys[PATH_MAX], p_mi[PATH_MAX], p_sw[PATH_MAX], p_proc[PATH_MAX];

static const char *at(const char *rel)
{
	static char p[4][PATH_MAX];
	static unsigned k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", tmp, rel);
	return p[k];
}

static void mk(const char *rel, mode_t mode)
{
	CHECK(mkdir(at(rel), mode) == 0);
	CHECK(chmod(at(rel), mode) == 0);
}

static void put(const char *rel, const char *content, mode_t mode)
{
	test_write_file(at(rel), content);
	CHECK(chmod(at(rel), mode) == 0);
}

/* a safe skeleton with hooks, an empty /proc, defaults */
static void setup(void)
{
	CHECK(geteuid() == 0);          /* the skeleton must be root-owned */
	snprintf(tmp, sizeof(tmp), "/tmp/sdfs-plan-XXXXXX");
	CHECK(mkdtemp(tmp));
	CHECK(chmod(tmp, 0755) == 0);
	mk("skel", 0755);
	mk("skel/hooks.d", 0755);
	mk("skel/hooks.d/teardown", 0755);
	mk("skel/hooks.d/post-teardown", 0755);
	put("skel/hooks.d/teardown/20-lvm", "#!/bin/sh\n", 0755);
	put("skel/hooks.d/teardown/30-cryptsetup", "#!/bin/sh\n", 0644);
	put("skel/hooks.d/teardown/.keep", "", 0644);
	put("skel/hooks.d/teardown/20-lvm~", "", 0755);
	put("skel/hooks.d/post-teardown/10-iscsi", "#!/bin/sh\n", 0755);
	mk("proc", 0755);
	config_defaults(&cfg);
	snprintf(cfg.skel, sizeof(cfg.skel), "%s", at("skel"));
	snprintf(cfg.file, sizeof(cfg.file), "%s", at("no.conf"));
	snprintf(p_proc, sizeof(p_proc), "%s", at("proc"));
}

static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	CHECK(system(cmd) == 0);
}

static const char *plan(const char *fixture, bool json, bool colour)
{
	struct plan_paths paths = { p_sys, p_mi, p_sw, p_proc, true, false };
	FILE *f;

	fixture_sysfs(fixture, p_sys, p_mi, p_sw);
	f = fmemopen(out, sizeof(out) - 1, "w");
	CHECK(f);
	CHECK_EQ_INT(plan_write(f, &cfg, &paths, json, colour), 0);
	out[ftell(f)] = '\0';
	fclose(f);
	return out;
}

/* the text between two headings */
static const char *section(const char *text, const char *head)
{
	static char buf[16384];
	const char *s = strstr(text, head), *e;

	CHECK(s);
	s += strlen(head) + 1;
	e = strstr(s, "\n\n");
	snprintf(buf, sizeof(buf), "%.*s", (int)(e ? e - s + 1 : (long)strlen(s)), s);
	return buf;
}

/* Run python3 on the JSON in out with an assertion script. */
static void json_check(const char *script)
{
	char path[PATH_MAX], cmd[PATH_MAX + 4096];

	snprintf(path, sizeof(path), "%s", at("plan.json"));
	test_write_file(path, out);
	snprintf(cmd, sizeof(cmd), "python3 -m json.tool '%s' >/dev/null && python3 -c '"
		 "import json,sys\nd=json.load(open(sys.argv[1]))\n%s' '%s'", path, script, path);
	if (system(cmd) != 0) {
		fprintf(stderr, "json check failed: %s\n%s\n", script, out);
		_exit(1);
	}
}

static void test_text_tree_md1(void)
{
	setup();
	CHECK_STR(section(plan("md1-luks-lvm", false, false), "after the unmounts:"),
		"  NAME                       SIZE  STEP  HOLDS         MOUNT   DETAILS\n"
		"  vda                          8G     -  -\n"
		"  ├─vda1                       1G     -  -             /boot\n"
		"  └─vda2                       7G     -  -\n"
		"    └─md127                    7G     3  -                     raid1 clean 1.2\n"
		"      └─dm-0 (md-crypt)        7G     2  -                     luks2\n"
		"        ├─dm-1 (vg0-root)      6G     1  -             /       lvm\n"
		"        └─dm-2 (vg0-swap)      1G     1  -             [SWAP]  lvm\n"
		"  vdb                          8G     -  -\n"
		"  ├─vdb1                       1G     -  -\n"
		"  └─vdb2                       7G     -  -\n"
		"    └─md127 (see above)\n");
	CHECK_STR(section(out, "in the order they are unmounted:"),
		"    1  /boot  ext4      /dev/vda1\n"
		"    2  /run   tmpfs     tmpfs\n"
		"    3  /dev   devtmpfs  udev\n"
		"    4  /sys   sysfs     sysfs\n"
		"    5  /proc  proc      proc\n"
		"    6  /      ext4      /dev/mapper/vg0-root\n");
	CHECK_STR(section(out, "swaps, off before the teardown:"), "  /dev/dm-2  partition\n");
	CHECK(strstr(out, "root is on dm-crypt: its key is wiped only if the ramfs run "
		     "reaches teardown\n"));
	CHECK(!strchr(out, '\033'));
	cleanup();
}

static void test_text_hooks_skeleton_config(void)
{
	char want[PATH_MAX + 64];

	setup();
	CHECK_EQ_INT(config_set(&cfg, "protect", "iscsid", SRC_FILE), 0);
	plan("lvm-on-luks", false, false);
	CHECK_STR(section(out, "hooks:"),
		"  pre-umount    none\n"
		"  teardown      20-lvm, 30-cryptsetup (skipped: not executable)\n"
		"  post-teardown 10-iscsi\n"
		"  final         none\n");
	snprintf(want, sizeof(want), "  %s: safe, 30B in 5 files\n", cfg.skel);
	CHECK_STR(section(out, "skeleton:"), want);
	CHECK(strstr(out, "  protect          iscsid                           (file)\n"));
	CHECK(strstr(out, "  deadline         60000ms                          (default)\n"));
	CHECK(strstr(out, "root is on dm-crypt"));      /* an LV inside the LUKS volume */
	plan("loop-on-lvm", false, false);
	CHECK(!strstr(out, "root is on dm-crypt"));
	cleanup();
}

/* the '@' convention (root-owned only) and `protect` names */
static void test_protected_processes(void)
{
	setup();
	CHECK_EQ_INT(config_set(&cfg, "protect", "iscsid", SRC_FILE), 0);
	mk("proc/412", 0555);
	put("proc/412/cmdline", "@dmon\0--offroot", 0444);
	test_write_file(at("proc/412/cmdline"), "@dmon");
	put("proc/412/stat", "412 (mdmon) S 1 412 412 0 -1 4194560 0\n", 0444);
	put("proc/412/status", "Name:\tmdmon\nUid:\t0\t0\t0\t0\n", 0444);
	mk("proc/500", 0555);
	put("proc/500/cmdline", "/sbin/iscsid", 0444);
	put("proc/500/stat", "500 (iscsid) S 1 500 500 0 -1 4194560 0\n", 0444);
	put("proc/500/status", "Name:\tiscsid\nUid:\t0\t0\t0\t0\n", 0444);
	mk("proc/2", 0555);             /* a kernel thread: empty cmdline */
	put("proc/2/cmdline", "", 0444);
	put("proc/2/stat", "2 (kthreadd) S 1 2 2 0 -1 4194560 0\n", 0444);
	mk("proc/600", 0555);           /* '@' but not root's: killed */
	put("proc/600/cmdline", "@fake", 0444);
	put("proc/600/stat", "600 (fake) S 1 600 600 0 -1 4194560 0\n", 0444);
	put("proc/600/status", "Name:\tfake\nUid:\t1000\t0\t0\t0\n", 0444);
	/* root's effective uid (a setuid program at its prompt), a user's real
	 * one: the run kills it, so plan must not list it as spared */
	mk("proc/700", 0555);
	put("proc/700/cmdline", "@sudo", 0444);
	put("proc/700/stat", "700 (sudo) S 1 700 700 0 -1 4194560 0\n", 0444);
	put("proc/700/status", "Name:\tsudo\nUid:\t1000\t0\t0\t0\n", 0444);
	plan("md-external", false, false);
	CHECK(strstr(out, "  412  @dmon  (argv[0] starts with @)\n"));
	CHECK(strstr(out, "  500  /sbin/iscsid  (protect)\n"));
	CHECK(!strstr(out, "kthreadd") && !strstr(out, "@fake") && !strstr(out, "@sudo"));
	CHECK(!strstr(out, "no protected mdmon"));
	/* comm comes from /proc/PID/stat, the run's own reader (proc.c) */
	plan("md-external", true, false);
	CHECK(strstr(out, "\"comm\": \"mdmon\""));
	CHECK(strstr(out, "\"comm\": \"iscsid\""));
	cleanup();
}

static void test_warnings(void)
{
	setup();
	plan("md-external", false, false);
	CHECK(strstr(out, "md126 has external metadata (container md127) and no protected "
		     "mdmon runs: it cannot be marked clean\n"));
	plan("suspended", false, false);
	CHECK(strstr(out, "dm-0 (cryptroot) is suspended: I/O to it blocks until the run "
		     "resumes it\n"));
	CHECK(strstr(out, "dm-2 (vg0-data) is suspended"));
	CHECK(chmod(at("skel/hooks.d"), 0775) == 0);
	cfg.deadline_ms = 0;
	plan("suspended", false, false);
	CHECK(strstr(out, "skeleton is group-writable: hooks will not run ("));
	CHECK(strstr(out, "/skel/hooks.d)\n"));
	CHECK(strstr(out, "no deadline: a stuck device can hang the shutdown for good\n"));
	snprintf(cfg.skel, sizeof(cfg.skel), "%s", at("missing"));
	plan("suspended", false, false);
	CHECK(strstr(out, "/missing: missing"));
	CHECK(strstr(out, "is missing: the ramfs will hold only shutdownfs, hooks will not run"));
	/* a skeleton larger than the tmpfs is no "safe, warnings: none" */
	snprintf(cfg.skel, sizeof(cfg.skel), "%s", at("skel"));
	{
		FILE *f = fopen(at("skel/big"), "w");
		CHECK(f && ftruncate(fileno(f), 3 << 20) == 0);
		fclose(f);
		CHECK(chmod(at("skel/hooks.d"), 0755) == 0);
	}
	cfg.ramfs_size = 2 << 20;
	plan("suspended", false, false);
	CHECK(strstr(out, "skeleton does not fit the ramfs: the ramfs will hold only "
		     "shutdownfs, hooks will not run ("));
	CHECK(strstr(out, "ramfs_size is 2.0 MiB)\n"));
	CHECK(strstr(out, "too-big"));
	cleanup();
}

static void test_colour(void)
{
	setup();
	plan("lvm-on-luks", false, true);
	CHECK(strstr(out, "\033[1mhooks:\033[0m"));
	CHECK(strstr(out, "\033[32msafe\033[0m"));
	cleanup();
}

static void test_json_md1(void)
{
	setup();
	plan("md1-luks-lvm", true, false);
	json_check("s={x[\"name\"]: x[\"step\"] for x in d[\"devices\"]}\n"
		   "assert s == {\"vda\": None, \"vda1\": None, \"vda2\": None, \"vdb\": None,"
		   " \"vdb1\": None, \"vdb2\": None, \"md127\": 3, \"dm-0\": 2, \"dm-1\": 1,"
		   " \"dm-2\": 1}, s\n"
		   "assert d[\"steps\"] == 3 and d[\"whole_machine\"] is True\n"
		   "m = [x for x in d[\"devices\"] if x[\"name\"] == \"md127\"][0]\n"
		   "assert m[\"md\"] == {\"level\": \"raid1\", \"state\": \"clean\", "
		   "\"metadata\": \"1.2\", \"container\": None}, m\n"
		   "assert m[\"slaves\"] == [\"vda2\", \"vdb2\"] and m[\"holders\"] == [\"dm-0\"]\n"
		   "c = [x for x in d[\"devices\"] if x[\"name\"] == \"dm-0\"][0][\"dm\"]\n"
		   "assert c[\"type\"] == \"luks2\" and c[\"crypt\"] and not c[\"suspended\"]\n"
		   "assert [x[\"target\"] for x in d[\"mounts\"]][0] == \"/boot\"\n"
		   "assert d[\"swaps\"] == [{\"path\": \"/dev/dm-2\", \"type\": \"partition\","
		   " \"device\": \"dm-2\"}]\n"
		   "assert d[\"skeleton\"][\"verdict\"] == \"safe\"\n"
		   "assert [h[\"name\"] for h in d[\"hooks\"][\"teardown\"]] == "
		   "[\"20-lvm\", \"30-cryptsetup\"]\n"
		   "assert d[\"hooks\"][\"teardown\"][1][\"runs\"] is False\n"
		   "assert d[\"config\"][\"values\"][\"deadline\"] == {\"value\": \"60000ms\","
		   " \"source\": \"default\"}\n"
		   "assert any(w.startswith(\"root is on dm-crypt\") for w in d[\"warnings\"])\n");
	cleanup();
}

static void test_json_loop_thin(void)
{
	setup();
	plan("loop-on-lvm", true, false);
	json_check("l = [x for x in d[\"devices\"] if x[\"name\"] == \"loop0\"][0]\n"
		   "assert l[\"loop\"] == {\"backing_file\": \"/data/images/disk.img\", "
		   "\"autoclear\": True, \"backing_device\": \"dm-1\"}, l\n"
		   "assert not any(x[\"name\"] == \"loop1\" for x in d[\"devices\"])\n");
	plan("thin-snapshot", true, false);
	json_check("assert d[\"steps\"] == 3\n"
		   "s = {x[\"name\"]: x[\"step\"] for x in d[\"devices\"]}\n"
		   "assert s[\"dm-0\"] == 3 and s[\"dm-2\"] == 2 and s[\"dm-9\"] == 1\n");
	cleanup();
}

/* paths are bytes: quotes, control characters and invalid UTF-8 still
 * give a document that parses */
static void test_json_escaping(void)
{
	setup();
	fixture_sysfs("md1-luks-lvm", p_sys, p_mi, p_sw);
	snprintf(p_mi, sizeof(p_mi), "%s", at("mi"));
	test_write_file(p_mi, "22 1 253:1 / / rw - ext4 /dev/mapper/vg0-root rw\n"
		"30 22 0:40 / /mnt/caf\351\\011\"q\\134 rw - tmpfs none rw\n"
		"31 22 0:41 / /mnt/\xc3\xa9t\xc3\xa9 rw - tmpfs none rw\n");
	{
		struct plan_paths paths = { p_sys, p_mi, p_sw, p_proc, true, false };
		FILE *f = fmemopen(out, sizeof(out) - 1, "w");

		CHECK(f);
		CHECK_EQ_INT(plan_write(f, &cfg, &paths, true, false), 0);
		out[ftell(f)] = '\0';
		fclose(f);
	}
	CHECK(strstr(out, "\"/mnt/caf\\u00e9\\t\\\"q\\\\\""));
	json_check("t = [x[\"target\"] for x in d[\"mounts\"]]\n"
		   "assert t[0] == \"/mnt/\\u00e9t\\u00e9\", t\n"
		   "assert t[1] == \"/mnt/caf\\u00e9\\t\\\"q\\\\\", t\n");
	cleanup();
}

static const struct test tests[] = {
	{ "text_tree_md1", test_text_tree_md1 },
	{ "text_hooks_skeleton_config", test_text_hooks_skeleton_config },
	{ "protected_processes", test_protected_processes },
	{ "warnings", test_warnings },
	{ "colour", test_colour },
	{ "json_md1", test_json_md1 },
	{ "json_loop_thin", test_json_loop_thin },
	{ "json_escaping", test_json_escaping },
};

TEST_MAIN(tests)
