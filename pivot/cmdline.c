/* cmdline.c — argv of every entry point: the run, stage 2, exitrd, plan,
 * the handover helper and the exec of each init route (docs/init-*.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "config.h"
#include "handover.h"
#include "exitrd.h"
#include "log.h"

static const char usage_text[] =
	"usage: shutdownfs [OPTIONS] reboot|poweroff|halt|kexec\n"
	"       shutdownfs plan [--json] [OPTIONS]\n"
	"       shutdownfs last [--json] [--clear]\n"
	"       shutdownfs handover [--init NAME] [--wait SEC] reboot|poweroff|halt|kexec\n"
	"       shutdownfs --version | --help\n"
	"\n"
	"The last program a machine runs: PID 1 execs it at the end of shutdown.\n"
	"It pivots into a tmpfs, kills, unmounts, tears down dm, md, loop and swap,\n"
	"runs hooks and calls reboot(2). `plan` shows what a run would do now,\n"
	"`last` what the last run did (exit 0 clean, 1 degraded, 2 nothing found).\n"
	"\n"
	"options (each also a key of /etc/shutdownfs.conf):\n"
	"  --config FILE        config file (default " CONFIG_DEFAULT_FILE ")\n"
	"  --skel DIR           skeleton of the ramfs (default " CONFIG_DEFAULT_SKEL ")\n"
	"  --deadline SEC       global deadline, then reboot(2) is forced (default 60, 0 off)\n"
	"  --kill-timeout SEC   grace between SIGTERM and SIGKILL (default 5)\n"
	"  --hook-timeout SEC   per-hook deadline (default 10)\n"
	"  --watchdog DEV|auto|off\n"
	"  --set KEY=VALUE      any key of shutdownfs.conf(5)\n"
	"  --verbose            debug messages\n"
	"  --json               plan or last as JSON\n"
	"  --clear              last: remove the record it printed\n"
	"  --init NAME          handover: the init (default: detected from PID 1)\n"
	"  --wait SEC           handover: how long PID 1 has to take over (default 120)\n"
	"  --from NAME          started by NAME's route: the action from its state file\n";

void usage(int fd)
{
	(void)!write(fd, usage_text, sizeof(usage_text) - 1);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static bool is_exitrd_name(const char *argv0)
{
	return strcmp(base_name(argv0), "shutdown") == 0;
}

/* dinit's PID 1 execs `shutdown --system -r|-p|-h|-k` (plain `--system` on
 * SIGQUIT, its immediate shutdown; `--system -s`, soft-reboot, from a child).
 * The recipe puts us in the place of that shutdown program, so every other
 * call of it (a user's `shutdown -r`, reboot/halt/poweroff/soft-reboot
 * links) belongs to the real one, moved aside: MODE_FORWARD. Returns 1
 * when argv was one of these. */
static int parse_dinit(int argc, char **argv, struct cmdline *cl)
{
	static const char *const links[] = { "reboot", "halt", "poweroff", "soft-reboot" };
	const char *name = base_name(argv[0]);
	bool sys = false;
	unsigned k;
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--system"))
			sys = true;
	if (sys) {
		cl->entry = INIT_DINIT;
		for (i = 1; i < argc; i++) {
			if (!strcmp(argv[i], "-r")) cl->action = ACTION_REBOOT;
			else if (!strcmp(argv[i], "-p")) cl->action = ACTION_POWEROFF;
			else if (!strcmp(argv[i], "-h")) cl->action = ACTION_HALT;
			else if (!strcmp(argv[i], "-k")) cl->action = ACTION_KEXEC;
			else if (!strcmp(argv[i], "-s")) cl->mode = MODE_FORWARD;
		}
		return 1;
	}
	for (k = 0; k < sizeof(links) / sizeof(links[0]); k++)
		if (!strcmp(name, links[k])) {
			cl->mode = MODE_FORWARD;
			return 1;
		}
	/* systemd's exitrd puts the verb first; dinit's users type options */
	if (!strcmp(name, "shutdown") &&
	    (argc == 1 || (argv[1][0] == '-' && argv[1][1] != '-'))) {
		cl->mode = MODE_FORWARD;
		return 1;
	}
	return 0;
}

/* sysvinit's re-exec (telinit u) runs `/sbin/init --init`, state on fd 11;
 * s6-svscan execs `.s6-svscan/finish` with no argument. */
static int parse_exec_route(int argc, char **argv, struct cmdline *cl)
{
	if (argc == 2 && !strcmp(argv[1], "--init")) {
		cl->entry = INIT_SYSVINIT;
		return 1;
	}
	if (argc == 1 && !strcmp(base_name(argv[0]), "finish")) {
		cl->entry = INIT_S6;
		return 1;
	}
	return 0;
}

static const char *const value_opts[] = {
	"skel", "deadline", "kill-timeout", "hook-timeout", "watchdog",
};

static int add_set(struct cmdline *cl, const char *key, const char *val,
		   char *err, size_t errsz)
{
	if (cl->nsets >= (int)(sizeof(cl->set_key) / sizeof(cl->set_key[0]))) {
		snprintf(err, errsz, "too many options");
		return -EINVAL;
	}
	cl->set_key[cl->nsets] = key;
	cl->set_val[cl->nsets++] = val;
	return 0;
}

/* --name VALUE or --name=VALUE. Returns 1 if matched (value in *ret). */
static int opt_value(const char *name, int argc, char **argv, int *i, const char **ret,
		     char *err, size_t errsz)
{
	const char *a = argv[*i] + 2;
	size_t nl = strlen(name);

	if (strncmp(a, name, nl) != 0)
		return 0;
	if (a[nl] == '=') {
		*ret = a + nl + 1;
		return 1;
	}
	if (a[nl] != '\0')
		return 0;
	if (*i + 1 >= argc) {
		snprintf(err, errsz, "option --%s needs a value", name);
		return -EINVAL;
	}
	*ret = argv[++*i];
	return 1;
}

static int parse_long(struct cmdline *cl, int argc, char **argv, int *i, char *err, size_t errsz)
{
	const char *a = argv[*i], *v;
	size_t k;
	int r;

	if (!strcmp(a, "--help")) { cl->mode = MODE_HELP; return 0; }
	if (!strcmp(a, "--version")) { cl->mode = MODE_VERSION; return 0; }
	if (!strcmp(a, "--json")) { cl->json = true; return 0; }
	if (!strcmp(a, "--clear")) { cl->clear = true; return 0; }
	if (!strcmp(a, "--verbose")) return add_set(cl, "verbose", "yes", err, errsz);
	r = opt_value("from", argc, argv, i, &v, err, errsz);
	if (r) {
		if (r < 0)
			return r;
		cl->entry = init_kind_parse(v);
		if (cl->entry == INIT_UNKNOWN) {
			snprintf(err, errsz, "--from: unknown init '%.32s'", v);
			return -EINVAL;
		}
		return 0;
	}
	r = opt_value("init", argc, argv, i, &v, err, errsz);
	if (r)
		return r < 0 ? r : (cl->init_name = v, 0);
	r = opt_value("wait", argc, argv, i, &v, err, errsz);
	if (r) {
		if (r < 0)
			return r;
		cl->wait_s = (unsigned)strtoul(v, NULL, 10);
		return 0;
	}
	r = opt_value("config", argc, argv, i, &v, err, errsz);
	if (r)
		return r < 0 ? r : (cl->config_file = v, 0);
	r = opt_value("pstore-dir", argc, argv, i, &v, err, errsz);
	if (r)
		return r < 0 ? r : (cl->pstore_dir = v, 0);
	r = opt_value("archive-dir", argc, argv, i, &v, err, errsz);
	if (r)
		return r < 0 ? r : (cl->archive_dir = v, 0);
	r = opt_value("efivars-dir", argc, argv, i, &v, err, errsz);
	if (r)
		return r < 0 ? r : (cl->efivars_dir = v, 0);
	/* any config key, as the file would say it: --set KEY=VALUE */
	r = opt_value("set", argc, argv, i, &v, err, errsz);
	if (r) {
		const char *eq;

		if (r < 0)
			return r;
		eq = strchr(v, '=');
		if (!eq || eq == v) {
			snprintf(err, errsz, "--set needs KEY=VALUE");
			return -EINVAL;
		}
		/* the key is cut at '=' by config_apply_argv */
		return add_set(cl, v, eq + 1, err, errsz);
	}
	for (k = 0; k < sizeof(value_opts) / sizeof(value_opts[0]); k++) {
		r = opt_value(value_opts[k], argc, argv, i, &v, err, errsz);
		if (r)
			return r < 0 ? r : add_set(cl, value_opts[k], v, err, errsz);
	}
	snprintf(err, errsz, "unknown option %s", a);
	return -EINVAL;
}

int cmdline_parse(int argc, char **argv, struct cmdline *cl, char *err, size_t errsz)
{
	bool exitrd = argc > 0 && is_exitrd_name(argv[0]);
	bool have_verb = false;
	int i, r;

	memset(cl, 0, sizeof(*cl));
	cl->mode = MODE_RUN;
	err[0] = '\0';
	if (argc > 0 && (parse_dinit(argc, argv, cl) || parse_exec_route(argc, argv, cl)))
		return 0;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] == '-' && a[1] == '-' && a[2]) {
			/* systemd-shutdown's own options, some with a separate value */
			if (exitrd && exitrd_parse_option(&cl->sd, argc, argv, &i))
				continue;
			r = parse_long(cl, argc, argv, &i, err, errsz);
			if (r < 0 && exitrd) {
				if (!cl->sd.nunknown++)
					cl->sd.unknown = a;
				err[0] = '\0';
				continue;
			}
			if (r < 0)
				return r;
			if (cl->mode == MODE_HELP || cl->mode == MODE_VERSION)
				return 0;
			continue;
		}
		if (!strcmp(a, "-h")) { cl->mode = MODE_HELP; return 0; }
		if (!strcmp(a, "-v")) { (void)add_set(cl, "verbose", "yes", err, errsz); continue; }
		if (have_verb && exitrd) {
			/* systemd-shutdown: "Excess arguments, ignoring" */
			if (!cl->sd.excess)
				cl->sd.excess = a;
			continue;
		}
		if (have_verb) {
			snprintf(err, errsz, "unexpected argument '%s'", a);
			return -EINVAL;
		}
		have_verb = true;
		cl->sd.exit_verb = exitrd && strcmp(a, "exit") == 0;
		if (!strcmp(a, "plan") && !exitrd && cl->mode == MODE_RUN) {
			cl->mode = MODE_PLAN;
			continue;
		}
		if (!strcmp(a, "last") && !exitrd) {
			cl->mode = MODE_LAST;
			continue;
		}
		if (!strcmp(a, "handover") && !exitrd && cl->mode == MODE_RUN) {
			cl->mode = MODE_HANDOVER;
			have_verb = false;
			continue;
		}
		if (action_parse(a, &cl->action) < 0) {
			snprintf(err, errsz, "unknown action '%s'", a);
			return -EINVAL;
		}
	}
	if (exitrd && cl->mode == MODE_RUN)
		cl->mode = MODE_EXITRD;
	if ((cl->init_name || cl->wait_s) && cl->mode != MODE_HANDOVER) {
		snprintf(err, errsz, "--init and --wait are options of handover");
		return -EINVAL;
	}
	if (cl->entry && cl->mode == MODE_RUN)
		return 0;               /* the action may come from the route */
	if (cl->mode != MODE_PLAN && cl->mode != MODE_LAST && cl->action == ACTION_NONE) {
		snprintf(err, errsz, "no action given");
		return -EINVAL;
	}
	if ((cl->mode == MODE_PLAN || cl->mode == MODE_LAST) && cl->action != ACTION_NONE) {
		snprintf(err, errsz, "%s takes no action", cl->mode == MODE_PLAN ? "plan" : "last");
		return -EINVAL;
	}
	return 0;
}

void config_build(struct config *c, const struct cmdline *cl, const char *cmdline_path)
{
	config_defaults(c);
	(void)config_load_file(c, cl->config_file ? cl->config_file : CONFIG_DEFAULT_FILE,
			       cl->config_file != NULL);
	if (cmdline_path)
		(void)config_load_cmdline(c, cmdline_path);
	config_apply_argv(c, cl);
}

void config_apply_argv(struct config *c, const struct cmdline *cl)
{
	int i;

	for (i = 0; i < cl->nsets; i++) {
		char key[32];
		const char *k = cl->set_key[i];
		size_t kl = strcspn(k, "=");
		int r;

		if (kl >= sizeof(key)) {
			log_warn("option: key too long, ignoring");
			continue;
		}
		memcpy(key, k, kl);
		key[kl] = '\0';
		r = config_set(c, key, cl->set_val[i], SRC_ARGV);
		config_warn_set(c, r, "option", key, cl->set_val[i]);
	}
	log_set_verbose(c->verbose);
	if (cl->mode == MODE_EXITRD)
		exitrd_apply(c, &cl->sd);
}
