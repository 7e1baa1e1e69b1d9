/* config.h — the effective configuration: defaults < /etc/shutdownfs.conf <
 * kernel command line (shutdownfs.KEY=VALUE) < command line options. */
#ifndef CONFIG_H
#define CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

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
	KEY_REPORT,
	KEY_REPORT_FILE,
	KEY_NOTIFY,
	KEY__MAX,
};

/* report routes, tried in this order (report-store.c) */
#define REPORT_ROUTE_PSTORE 0x1
#define REPORT_ROUTE_EFIVAR 0x2
#define REPORT_ROUTE_FILE   0x4
#define REPORT_ROUTES_AUTO  (REPORT_ROUTE_PSTORE | REPORT_ROUTE_FILE)

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
	unsigned report_routes;         /* REPORT_ROUTE_* allowed; 0: off */
	char report_file[PATH_MAX];     /* raw device, file or TAG=value; "" unset */
	char notify[128];               /* "off", isa-debug-exit[:PORT], virtio-serial:NAME, vmm[:ADDR] */
	enum config_src src[KEY__MAX];
	char file[PATH_MAX];            /* the config file consulted */
	bool file_used;                 /* it existed, was safe, and was read */
	int container_exit;             /* systemd's exit verb: PID 1's status in a
					 * container (exitrd.c); -1: none */
};

/* Bounds. The deadline must leave the kill, an unmount pass and a sync
 * their turn; a hook must at least get to exec. A tmpfs under 1 MiB cannot
 * hold the binary (about 400 KiB) and what it creates. */
#define CONFIG_DEADLINE_MIN_MS 3000
#define CONFIG_HOOK_TIMEOUT_MIN_MS 100
#define CONFIG_RAMFS_MIN (1ULL << 20)
#define CONFIG_RAMFS_MAX (64ULL << 30)

void config_defaults(struct config *c);
const char *config_key_name(enum config_key k);
const char *config_src_name(enum config_src s);

/* Set one key from text. Returns 0, -ENOENT for an unknown key, -EINVAL
 * for a bad value (the old value is kept), -ERANGE for a time under its
 * floor (the floor is set). Never logs. */
int config_set(struct config *c, const char *key, const char *value, enum config_src src);
/* The warning for config_set's result r (nothing for 0); where names the
 * source ("/etc/shutdownfs.conf:3", "option"). */
void config_warn_set(const struct config *c, int r, const char *where, const char *key,
		     const char *val);
/* The value of key k as text, as config_set reads it back. */
int config_value(const struct config *c, enum config_key k, char *buf, size_t sz);

/* Parse `key = value` lines. Warnings name `origin` and the line. Lines over
 * 4 KiB, NUL bytes and garbage are warned about and skipped. */
void config_parse_buf(struct config *c, const char *buf, size_t len, const char *origin);
/* Read a file: ignored with a warning unless a root-owned regular file (not
 * a symlink) not writable by group or others. A missing file is fine unless
 * named (--config): then it is warned about. Reads at most 1 MiB. */
int config_load_file(struct config *c, const char *path, bool named);
/* Apply shutdownfs.KEY=VALUE words of a kernel command line. */
void config_parse_cmdline(struct config *c, const char *cmdline, size_t len);
int config_load_cmdline(struct config *c, const char *path);

bool config_is_protected(const struct config *c, const char *comm);
/* "pstore efivar file" for the routes set, "off" for none. */
void config_routes_name(unsigned routes, char *buf, size_t n);


#endif
