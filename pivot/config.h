/* config.h — the effective configuration: defaults < /etc/shutdownfs.conf <
 * kernel command line (shutdownfs.KEY=VALUE) < command line options. */
#ifndef CONFIG_H
#define CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "exitrd.h"
#include "shutdownfs.h"

#ifndef PREFIX
#define PREFIX "/usr"
#endif
#define CONFIG_DEFAULT_FILE "/etc/shutdownfs.conf"
#define CONFIG_DEFAULT_SKEL PREFIX "/lib/shutdownfs/skel"

enum config_src {
	SRC_DEFAULT = 0,
	SRC_FILE,
	SRC_CMDLINE,            /* kernel command line */
	SRC_ARGV,
};

enum config_key {
	KEY_SKEL = 0,
	KEY_DEADLINE,
	KEY_KILL_TIMEOUT,
	KEY_HOOK_TIMEOUT,
	KEY_WATCHDOG,
	KEY_VERBOSE,
	KEY_PROTECT,
	KEY_PRELOAD,
	KEY_KEXEC_WITH_KEYS,
	KEY_RAMFS_SIZE,
	KEY__MAX,
};

#define CONFIG_LIST_MAX 32      /* protect / preload entries */
#define CONFIG_NAME_MAX 64

struct config {
	char skel[PATH_MAX];
	unsigned deadline_ms;           /* 0: no global deadline */
	unsigned kill_timeout_ms;
	unsigned hook_timeout_ms;
	char watchdog[PATH_MAX];        /* "auto", "off" or a device path */
	bool verbose;
	unsigned nprotect;
	char protect[CONFIG_LIST_MAX][CONFIG_NAME_MAX];
	unsigned npreload;
	char preload[CONFIG_LIST_MAX][CONFIG_NAME_MAX];
	bool kexec_with_keys;
	unsigned long long ramfs_size;  /* bytes, tmpfs size= */
	enum config_src src[KEY__MAX];
	char file[PATH_MAX];            /* the config file consulted */
	bool file_used;                 /* it existed, was safe, and was read */
	int container_exit;             /* systemd's exit verb: PID 1's status in a
					 * container (exitrd.c); -1: none */
};

void config_defaults(struct config *c);
const char *config_key_name(enum config_key k);
const char *config_src_name(enum config_src s);

/* Set one key from text. Returns 0, -ENOENT for an unknown key, -EINVAL
 * for a bad value (the old value is kept). Never logs. */
int config_set(struct config *c, const char *key, const char *value, enum config_src src);

/* Parse `key = value` lines. Warnings name `origin` and the line. Lines over
 * 4 KiB, NUL bytes and garbage are warned about and skipped. */
void config_parse_buf(struct config *c, const char *buf, size_t len, const char *origin);
/* Read a file: ignored with a warning unless root-owned and not writable by
 * group or others. A missing file is fine. Reads at most 1 MiB. */
int config_load_file(struct config *c, const char *path);
/* Apply shutdownfs.KEY=VALUE words of a kernel command line. */
void config_parse_cmdline(struct config *c, const char *cmdline, size_t len);
int config_load_cmdline(struct config *c, const char *path);

/* Render the config as argv options for the stage-2 exec ("--set", "k=v"
 * pairs). Writes at most max pointers into ret_argv, using buf for strings.
 * Returns the number of argv entries, or -ENOSPC. */
int config_to_argv(const struct config *c, char **ret_argv, int max, char *buf, size_t bufsz);

bool config_is_protected(const struct config *c, const char *comm);

/* Command line */
enum mode {
	MODE_RUN = 0,           /* stage 1: the action on the old root */
	MODE_STAGE2,            /* re-exec'ed in the ramfs */
	MODE_EXITRD,            /* exec'ed by systemd-shutdown as /shutdown */
	MODE_PLAN,
	MODE_HELP,
	MODE_VERSION,
};

struct cmdline {
	enum mode mode;
	enum action action;
	bool json;
	const char *config_file;        /* --config */
	unsigned long long start_us;    /* --start-us: stage 1's start, CLOCK_MONOTONIC */
	int old_guard;                  /* --old-guard: stage 1's guardian, to replace */
	unsigned killed;                /* --killed: SIGKILLs sent in stage 1 */
	struct exitrd_args sd;          /* exitrd mode: what systemd-shutdown passed */
	int nsets;                      /* argv options, applied after file/cmdline */
	const char *set_key[64];
	const char *set_val[64];
};

/* Parse argv. argv[0] ending in "/shutdown" or equal to "shutdown" selects
 * exitrd mode, where systemd-shutdown's options (--log-level= ...) are read
 * into cl->sd (exitrd.h), other unknown options and extra words after the
 * verb are ignored with a warning, as systemd-shutdown does. Returns 0, or
 * -EINVAL with a message in err. */
int cmdline_parse(int argc, char **argv, struct cmdline *ret, char *err, size_t errsz);
/* defaults < file < kernel cmdline < argv, with warnings to the log. */
void config_build(struct config *c, const struct cmdline *cl, const char *cmdline_path);
void usage(int fd);

#endif
