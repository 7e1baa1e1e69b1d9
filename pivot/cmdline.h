/* cmdline.h — argv of every entry point (pivot/cmdline.c), and how the
 * config is built from defaults, the file, the kernel command line and it. */
#ifndef SHUTDOWNFS_CMDLINE_H
#define SHUTDOWNFS_CMDLINE_H

#include <stdbool.h>

#include "config.h"
#include "exitrd.h"
#include "shutdownfs.h"

enum mode {
	MODE_RUN = 0,           /* the action: stage 1, or stage 2 after the re-exec */
	MODE_EXITRD,            /* exec'ed by systemd-shutdown as /shutdown */
	MODE_PLAN,
	MODE_LAST,              /* what the last run did (report.h) */
	MODE_HELP,
	MODE_VERSION,
	MODE_HANDOVER,          /* `handover ACTION`: set up the init's route (not PID 1) */
	MODE_FORWARD,           /* a dinit shutdown call that is not ours: run the real one */
};

struct cmdline {
	enum mode mode;
	enum action action;
	bool json;
	bool clear;                     /* last --clear */
	const char *pstore_dir;         /* last --pstore-dir, fixtures and copies */
	const char *archive_dir;        /* last --archive-dir */
	const char *efivars_dir;        /* last --efivars-dir */
	const char *config_file;        /* --config */
	int entry;                      /* enum init_kind: started by that init's route */
	const char *init_name;          /* handover --init NAME */
	unsigned wait_s;                /* handover --wait SEC (0: the default) */
	struct exitrd_args sd;          /* exitrd mode: what systemd-shutdown passed */
	int nsets;                      /* argv options, applied after file/cmdline */
	const char *set_key[64];
	const char *set_val[64];
};

/* Parse argv. argv[0] ending in "/shutdown" or equal to "shutdown" selects
 * exitrd mode, where systemd-shutdown's options (--log-level= ...) are read
 * into cl->sd (exitrd.h), other unknown options and extra words after the
 * verb are ignored with a warning, as systemd-shutdown does. The init
 * routes (docs/init-*.md) are recognised by their argv: `--system
 * -r|-p|-h|-k` (dinit), `/sbin/init --init` (sysvinit's re-exec), argv[0]
 * "finish" (s6-svscan), `--from NAME` (busybox's ::restart: line); they set
 * entry and may leave the action for handover_decode(). Returns 0, or
 * -EINVAL with a message in err. */
int cmdline_parse(int argc, char **argv, struct cmdline *ret, char *err, size_t errsz);
/* defaults < file < kernel cmdline < argv, with warnings to the log. */
void config_build(struct config *c, const struct cmdline *cl, const char *cmdline_path);
/* The options of argv alone, over what c holds. */
void config_apply_argv(struct config *c, const struct cmdline *cl);
void usage(int fd);

#endif
