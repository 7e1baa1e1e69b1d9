/* guard.c — the deadline guardian: a child of PID 1 that sleeps until the
 * global deadline and then forces reboot(2), whatever PID 1 is stuck in.
 * The watchdog (guard-watchdog.c) covers a kernel too stuck for that. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <time.h>
#include <unistd.h>

#include "guard.h"
#include "guard-watchdog.h"
#include "log.h"
#include "spawn.h"
#include "sys.h"

#define GUARD_STEP_MAX 96

/* Two slots and an index written last: the guardian reads a whole name
 * even if PID 1 is writing the next one at that moment. */
struct guard_rec {
	unsigned idx;
	char step[2][GUARD_STEP_MAX];
	uint64_t since[2];
};

static struct guard_rec local_rec;
static struct guard_rec *rec = &local_rec;
static pid_t guardian;

void guard_init(void)
{
	void *p;

	if (rec != &local_rec)
		return;
	p = mmap(NULL, sizeof(*rec), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		/* the guardian still fires, it just names the step it saw at fork */
		log_warn("guardian: step record: %s, the deadline message will be vague",
			 strerror(errno));
		return;
	}
	memcpy(p, &local_rec, sizeof(local_rec));
	rec = p;
}

void guard_step(const char *step)
{
	unsigned next = !__atomic_load_n(&rec->idx, __ATOMIC_RELAXED);

	snprintf(rec->step[next], GUARD_STEP_MAX, "%s", step);
	rec->since[next] = now_ms();
	__atomic_store_n(&rec->idx, next, __ATOMIC_RELEASE);
	watchdog_ping();
}

int guard_pid(void)
{
	return (int)guardian;
}

static int guard_reboot_cmd(enum action a)
{
	switch (a) {
	case ACTION_POWEROFF:
		return RB_POWER_OFF;
	case ACTION_HALT:
		return RB_HALT_SYSTEM;
	default:
		/* kexec too: after a wedged teardown, a plain reboot is the
		 * one that does not depend on what was left loaded */
		return RB_AUTOBOOT;
	}
}

static void sleep_until(uint64_t at_ms)
{
	struct timespec ts = { (time_t)(at_ms / 1000), (long)(at_ms % 1000) * 1000000L };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
		;       /* EINTR: the deadline is absolute, sleep again */
}

/* The guardian itself. In the initial PID namespace reboot(2) ends the
 * machine. In a child one (tests), the kernel's reboot_pid_ns() SIGKILLs
 * the namespace's init from any of its processes, makes init's exit
 * status SIGHUP (restart) or SIGINT (power off, halt), and exits the
 * caller, so the guardian ends the namespace as its PID 1 would. */
/* stdio may be a file on the (dying) old root, where one write could block
 * the process that must reach reboot(2): what a block device backs goes to
 * /dev/null; pipes, sockets, the console and tmpfs files (st_dev major 0)
 * stay. kmsg and the console are opened O_NONBLOCK by the log. */
static void stdio_quiet(void)
{
	struct stat st;
	int fd, nul = open("/dev/null", O_RDWR | O_CLOEXEC);

	for (fd = 0; fd <= 2 && nul >= 0; fd++)
		if (fstat(fd, &st) < 0 || major(st.st_dev) != 0)
			(void)dup2(nul, fd);
	if (nul > 2)
		close(nul);
}

static _Noreturn void guard_main(enum action a, uint64_t deadline_at, unsigned deadline_ms,
				 pid_t parent)
{
	static const int next[] = { RB_AUTOBOOT, RB_HALT_SYSTEM };
	int keep[3], fd, cmd = guard_reboot_cmd(a);
	sigset_t all;
	unsigned idx;
	size_t i;

	/* killall spares our pid; this keeps a stray kill(-1, SIGTERM) from
	 * a hook off us too. Only SIGKILL and SIGSTOP get through. */
	sigfillset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, NULL);
	(void)prctl(PR_SET_NAME, "shutdownfs-grd", 0, 0, 0);
	/* PID 1 never ends; a parent that does (a unit test) leaves nothing
	 * to guard, and no guardian must outlive it */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != parent)
		_exit(0);
	(void)chdir("/");
	/* hold nothing but the log: no old-root fds, no watchdog (PID 1
	 * holds that one; a second holder would keep it open past a crash
	 * of PID 1 for no gain) */
	log_fds(keep);
	for (fd = 3; fd < 1024; fd++)
		if (fd != keep[0] && fd != keep[1] && fd != keep[2])
			(void)close(fd);
	stdio_quiet();

	sleep_until(deadline_at);
	idx = __atomic_load_n(&rec->idx, __ATOMIC_ACQUIRE);
	log_err("deadline of %u ms reached during %s (running for %llu ms), forcing %s",
		deadline_ms, rec->step[idx][0] ? rec->step[idx] : "startup",
		rec->since[idx] ? (unsigned long long)(now_ms() - rec->since[idx]) : 0ULL,
		cmd == RB_AUTOBOOT ? "reboot" : action_name(a));
	/* no sync: on a dead device it blocks, and this is the way out */
	(void)sys_reboot(cmd);
	log_err("guardian: reboot(2) %#x: %s, trying the next action", (unsigned)cmd, strerror(errno));
	for (i = 0; i < sizeof(next) / sizeof(next[0]); i++) {
		if (next[i] == cmd)
			continue;
		(void)sys_reboot(next[i]);
		log_err("guardian: reboot(2) %#x: %s", (unsigned)next[i], strerror(errno));
	}
	log_err("guardian: cannot reboot, halt or power off; the watchdog, if any, is the last resort");
	for (;;)
		pause();
}

int guard_start(const struct config *c, enum action a, uint64_t deadline_at)
{
	pid_t pid, parent;

	watchdog_start(c, deadline_at);
	if (!c->deadline_ms || !deadline_at) {
		log_info("guardian: no deadline (deadline = 0)");
		return 0;
	}
	parent = getpid();
	pid = fork();
	if (pid < 0) {
		log_err("guardian: fork: %s, running without a deadline", strerror(errno));
		return -errno;
	}
	if (pid == 0)
		guard_main(a, deadline_at, c->deadline_ms, parent);
	guardian = pid;
	log_info("guardian %d: forcing %s in %lld ms", (int)pid, action_name(a),
		 (long long)(deadline_at - now_ms()));
	return (int)pid;
}

void guard_prepare_watchdog(const struct config *c)
{
	watchdog_prepare(c);
}
