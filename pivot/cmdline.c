/* cmdline.c — argv of every entry point: the run, stage 2, exitrd, plan. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "exitrd.h"
#include "log.h"

static const char usage_text[] =
	"usage: shutdownfs [OPTIONS] reboot|poweroff|halt|kexec\n"
	"       shutdownfs plan [--json] [OPTIONS]\n"
	"       shutdownfs --version | --help\n"
	"\n"
	"The last program a machine runs: PID 1 execs it at the end of shutdown.\n"
	"It pivots into a tmpfs, kills, unmounts, tears down dm, md, loop and swap,\n"
	"runs hooks and calls reboot(2). `plan` shows what a run would do now.\n"
	"\n"
	"options (each also a key of /etc/shutdownfs.conf):\n"
	"  --config FILE        config file (default " CONFIG_DEFAULT_FILE ")\n"
	"  --skel DIR           skeleton of the ramfs (default " CONFIG_DEFAULT_SKEL ")\n"
	"  --deadline SEC       global deadline, then reboot(2) is forced (default 60, 0 off)\n"
	"  --kill-timeout SEC   grace between SIGTERM and SIGKILL (default 5)\n"
	"  --hook-timeout SEC   per-hook deadline (default 10)\n"
	"  --watchdog DEV|auto|off\n"
	"  --verbose            debug messages\n"
	"  --json               plan as JSON\n";

void usage(int fd)
{
	(void)!write(fd, usage_text, sizeof(usage_text) - 1);
}

static bool is_exitrd_name(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');
	return strcmp(slash ? slash + 1 : argv0, "shutdown") == 0;
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
	if (!strcmp(a, "--verbose")) return add_set(cl, "verbose", "yes", err, errsz);
	if (!strcmp(a, "--stage2")) { cl->mode = MODE_STAGE2; return 0; }
	r = opt_value("config", argc, argv, i, &v, err, errsz);
	if (r)
		return r < 0 ? r : (cl->config_file = v, 0);
	r = opt_value("start-us", argc, argv, i, &v, err, errsz);
	if (r) {
		if (r < 0)
			return r;
		cl->start_us = strtoull(v, NULL, 10);
		return 0;
	}
	r = opt_value("killed", argc, argv, i, &v, err, errsz);
	if (r) {
		if (r < 0)
			return r;
		cl->killed = (unsigned)strtoul(v, NULL, 10);
		return 0;
	}
	r = opt_value("old-guard", argc, argv, i, &v, err, errsz);
	if (r) {
		if (r < 0)
			return r;
		cl->old_guard = atoi(v);
		return 0;
	}
	r = opt_value("set", argc, argv, i, &v, err, errsz);
	if (r) {
		const char *eq;
		if (r < 0)
			return r;
		eq = strchr(v, '=');
		if (!eq) {
			snprintf(err, errsz, "--set needs KEY=VALUE");
			return -EINVAL;
		}
		/* key is cut at '=' by config_build via its length */
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
		if (!strcmp(a, "plan") && !exitrd) {
			cl->mode = MODE_PLAN;
			continue;
		}
		if (action_parse(a, &cl->action) < 0) {
			snprintf(err, errsz, "unknown action '%s'", a);
			return -EINVAL;
		}
	}
	if (exitrd && cl->mode == MODE_RUN)
		cl->mode = MODE_EXITRD;
	if (cl->mode != MODE_PLAN && cl->action == ACTION_NONE) {
		snprintf(err, errsz, "no action given");
		return -EINVAL;
	}
	if (cl->mode == MODE_PLAN && cl->action != ACTION_NONE) {
		snprintf(err, errsz, "plan takes no action");
		return -EINVAL;
	}
	return 0;
}

void config_build(struct config *c, const struct cmdline *cl, const char *cmdline_path)
{
	int i;

	config_defaults(c);
	/* stage 2 gets the effective config of stage 1 through argv only */
	if (cl->mode != MODE_STAGE2) {
		(void)config_load_file(c, cl->config_file ? cl->config_file : CONFIG_DEFAULT_FILE);
		if (cmdline_path)
			(void)config_load_cmdline(c, cmdline_path);
	}
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
		if (r == -ENOENT)
			log_warn("option: unknown key '%s', ignoring", key);
		else if (r < 0)
			log_warn("option: bad value '%.64s' for %s, ignoring", cl->set_val[i], key);
	}
	log_set_verbose(c->verbose);
	if (cl->mode == MODE_EXITRD)
		exitrd_apply(c, &cl->sd);
}
