/* state.h — the record of one run, shared by PID 1 (the keeper), every
 * worker it forks and, through the re-exec, stage 2: a memfd mapped
 * MAP_SHARED. A worker that dies leaves its counts, the calls that hung and
 * the step it was in behind for the next one. */
#ifndef STATE_H
#define STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "layers.h"
#include "shutdownfs.h"
#include "scope.h"

#define STATE_MAGIC 0x73667331u         /* "sfs1" */
#define STATE_FD 99                     /* where the re-exec finds it */
#define STATE_MEMFD_NAME "shutdownfs-state"
#define STUCK_MAX 256                   /* calls that timed out; each cost a timeout */
#define STUCK_KEY_MAX 160
#define RAMFS_MP_MAX 64

enum stage {
	STAGE_ONE = 1,          /* on the old root, before the pivot */
	STAGE_TWO,              /* in the ramfs, after the re-exec (or exitrd) */
	STAGE_FALLBACK,         /* on the old root, the pivot failed */
};

struct stuck_set {
	unsigned n;
	char key[STUCK_MAX][STUCK_KEY_MAX];
};

struct run_state {
	uint32_t magic;
	uint32_t size;                  /* sizeof(struct run_state) of the writer */
	enum stage stage;
	enum action action;
	uint64_t start_us;              /* exec of stage 1, CLOCK_MONOTONIC */
	struct config cfg;              /* the effective config (stage 2 reads no file) */
	struct stats stats;
	struct scope scope;             /* fixed at the start of stage 2 */
	bool scope_ready;
	bool ramfs_ready;               /* the worker pivoted into the ramfs */
	bool crypt_known;               /* crypt_left was counted by the last phase */
	bool nothing_left;              /* the device teardown left nothing of ours */
	bool summary_done;
	bool cfg_loaded;                /* file and kernel command line read */
	int watchdog_fd;                /* kept across the re-exec; -1 none */
	char ramfs_mp[RAMFS_MP_MAX];
	/* the step now running, written by the worker, read by the keeper */
	volatile int phase;
	volatile uint64_t phase_since_ms;
	volatile unsigned phase_budget_ms;      /* the worker's own estimate; 0: default */
	char step[96];                  /* within the phase, e.g. the hook running */
	char inflight[STUCK_KEY_MAX];   /* the bounded call the worker waits on */
	volatile int hook_pgid;         /* the hook running now, its process group */
	struct stuck_set stuck;
	struct layer_set layers;        /* the glance's lines (layers.h) */
};

/* A fresh record in a memfd (fd STATE_FD), mapped. NULL on failure: the
 * caller goes on with a private one (nothing survives a worker then). */
struct run_state *state_create(void);
/* Map the record the re-exec passed on fd STATE_FD: only a memfd of our
 * name with our magic and size counts, so nothing an init or a user passes
 * on the command line can fake stage 2. NULL when there is none. */
struct run_state *state_adopt(void);
/* The record every module uses; a static one until state_create(). */
struct run_state *state(void);
/* The worker starts a step of its own within the phase (a hook) that may
 * take up to more_ms from now: named if the deadline fires, and the
 * phase's budget grows to cover it. */
void state_step(const char *what, unsigned more_ms);

#endif
