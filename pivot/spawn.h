/* spawn.h — run what can block (umount, remount, sync, swapoff, hooks) in a
 * child with a deadline, so PID 1 itself never blocks on a dead device. */
#ifndef SPAWN_H
#define SPAWN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define SPAWN_TIMEOUT (-1000)   /* returned when the child overran */

/* Sleep up to ms, reaping any child (PID 1 inherits orphans). */
void reap_sleep(unsigned ms);
/* Reap every exited child without blocking; returns how many. */
unsigned reap_all(void);

/* Fork, run fn(arg) in the child, _exit with its result (0..255; a negative
 * errno becomes its positive value). Wait at most timeout_ms; on overrun the
 * child is SIGKILLed and left to the reaper (a child stuck in D state cannot
 * be waited for), `what` joins the run's stuck set and SPAWN_TIMEOUT is
 * returned. A `what` already in the stuck set returns SPAWN_TIMEOUT at once:
 * a call that timed out is never repeated on the same object, so name the
 * object in `what` ("umount /oldroot/home", "dm 253:3", "md md0"). A child
 * stopped by a stray SIGSTOP is continued. Otherwise the child's exit
 * status as a negative errno (0 on success), or -EINTR if it was killed. */
int spawn_call(int (*fn)(void *), void *arg, unsigned timeout_ms, const char *what);

/* The run's stuck set (state.h): calls that timed out, by `what`. */
bool stuck_has(const char *key);
void stuck_add(const char *key);

/* Same for the common cases; keys "umount PATH" (remount shares it) and
 * "swapoff PATH". */
int spawn_umount(const char *target, int flags, unsigned timeout_ms);
int spawn_remount_ro(const char *target, unsigned timeout_ms);
int spawn_swapoff(const char *path, unsigned timeout_ms);
int spawn_sync(unsigned timeout_ms);

#endif
