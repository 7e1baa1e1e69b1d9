/* plan-data.h — what `shutdownfs plan` gathers (plan.c) and prints as text
 * (plan-text.c) or JSON (plan-json.c). Paths are parameters so unit tests
 * run the plan on fixture trees. */
#ifndef PLAN_DATA_H
#define PLAN_DATA_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "blockgraph.h"
#include "config.h"
#include "handover.h"
#include "hooks.h"
#include "skel-check.h"
#include "scope.h"

struct plan_paths {
	const char *sysfs;      /* "/sys" */
	const char *mountinfo;  /* "/proc/self/mountinfo" */
	const char *swaps;      /* "/proc/swaps" */
	const char *proc;       /* "/proc" */
	bool whole_machine;
	bool probe;             /* ask libblkid what devices hold */
	const char *root;       /* where /etc and /run are read for the init route; NULL: "" */
};

#define PLAN_PROCS_MAX 64
struct plan_proc {
	pid_t pid;
	char comm[64];
	char argv0[128];
	bool by_config;         /* named by `protect`, not by the '@' convention */
};

#define PLAN_HOOKS_MAX 128
struct plan_hook {
	enum phase phase;
	char name[NAME_MAX + 1];
	const char *why;        /* NULL: it runs */
};

#define PLAN_WARN_MAX 24
struct plan {
	const struct config *c;
	struct scope scope;
	struct blockgraph g;
	int steps;
	unsigned nmounts;
	struct mount_entry *mounts;      /* in unmount order, newest first */
	unsigned nprocs;
	struct plan_proc procs[PLAN_PROCS_MAX];
	unsigned nhooks;
	struct plan_hook hooks[PLAN_HOOKS_MAX];
	int skel_r;                     /* skel_check_stat() result */
	char skel_why[PATH_MAX + 64];
	struct skel_stat skel_st;
	struct init_route route;        /* how PID 1 can exec us (handover-detect.c) */
	unsigned nwarn;
	char warn[PLAN_WARN_MAX][PATH_MAX + 128];
};

int plan_collect(struct plan *p, const struct config *c, const struct plan_paths *paths);
void plan_free(struct plan *p);
void plan_print_text(FILE *f, const struct plan *p, bool colour);
void plan_print_json(FILE *f, const struct plan *p);
/* Collect and print; what plan_run() does with the real paths. */
int plan_write(FILE *f, const struct config *c, const struct plan_paths *paths, bool json,
	       bool colour);

/* shared by both printers */
const char *plan_dm_type(const struct bdev *d);
const char *plan_size(unsigned long long bytes, char *buf, size_t sz);
/* "skel = /x" values as config_value() renders them; "" if unknown */
const char *plan_config_value(const struct config *c, enum config_key k, char *buf, size_t sz);
const char *plan_skel_verdict(const struct plan *p);
bool plan_dev_shown(const struct blockgraph *g, int i);

#endif
