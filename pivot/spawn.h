/* spawn.h — run what can block (umount, remount, sync, swapoff, hooks) in a
 * child with a deadline, so PID 1 itself never blocks on a dead device. */
#ifndef SPAWN_H
#define SPAWN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define SPAWN_TIMEOUT (-1000)   /* returned when the child overran */

/* Unit tests set this: spawn_call() then runs fn in-process, so a fake
 * sys.h records the calls where the test can see them. */
extern bool spawn_no_fork;

uint64_t now_ms(void);          /* CLOCK_MONOTONIC, ms */
uint64_t now_us(void);
/* Sleep up to ms, reaping any child (PID 1 inherits orphans). */
void reap_sleep(unsigned ms);
/* Reap every exited child without blocking; returns how many. */
unsigned reap_all(void);

/* Fork, run fn(arg) in the child, _exit with its result (0..255; a negative
 * errno becomes its positive value). Wait at most timeout_ms; on overrun the
 * child is SIGKILLed and left to the reaper (a child stuck in D state cannot
 * be waited for) and SPAWN_TIMEOUT is returned. Otherwise the child's exit
 * status as a negative errno (0 on success), or -EINTR if it was killed. */
int spawn_call(int (*fn)(void *), void *arg, unsigned timeout_ms, const char *what);

/* Same for the common cases. */
int spawn_umount(const char *target, int flags, unsigned timeout_ms);
int spawn_remount_ro(const char *target, unsigned timeout_ms);
int spawn_swapoff(const char *path, unsigned timeout_ms);
int spawn_sync(unsigned timeout_ms);

#endif
