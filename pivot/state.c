/* state.c — the run's shared record: a memfd, mapped by PID 1 before it
 * forks any worker and passed across the re-exec on a fixed fd. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "spawn.h"
#include "state.h"

/* zero-initialised (bss, not 60 KiB of .data in the binary); the fields
 * whose "none" is not 0 are set on first use */
static struct run_state local;
static struct run_state *cur;

struct run_state *state(void)
{
	if (!cur) {
		local.watchdog_fd = -1;
		local.phase = -1;
		cur = &local;
	}
	return cur;
}

void state_step(const char *what, unsigned more_ms)
{
	struct run_state *s = state();
	uint64_t now = now_ms();

	snprintf(s->step, sizeof(s->step), "%s", what);
	if (s->phase_since_ms && now > s->phase_since_ms)
		s->phase_budget_ms = (unsigned)(now - s->phase_since_ms) + more_ms;
}

static struct run_state *map(int fd)
{
	void *p = mmap(NULL, sizeof(struct run_state), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

struct run_state *state_create(void)
{
	struct run_state *s;
	int fd = memfd_create(STATE_MEMFD_NAME, MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, sizeof(*s)) < 0) {
		log_warn("run record: %s, a worker that dies takes its counts along",
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (fd != STATE_FD) {
		if (dup3(fd, STATE_FD, O_CLOEXEC) < 0) {
			close(fd);
			return NULL;
		}
		close(fd);
	}
	s = map(STATE_FD);
	if (!s) {
		close(STATE_FD);
		return NULL;
	}
	memcpy(s, state(), sizeof(*s));
	s->magic = STATE_MAGIC;
	s->size = sizeof(*s);
	cur = s;
	return s;
}

struct run_state *state_adopt(void)
{
	char path[32], link[64];
	struct run_state *s;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", STATE_FD);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return NULL;
	link[n] = '\0';
	if (strncmp(link, "/memfd:" STATE_MEMFD_NAME " ", 8 + sizeof(STATE_MEMFD_NAME) - 1) != 0)
		return NULL;
	s = map(STATE_FD);
	if (!s)
		return NULL;
	if (s->magic != STATE_MAGIC || s->size != sizeof(*s) || s->stage != STAGE_ONE ||
	    !s->ramfs_ready) {
		munmap(s, sizeof(*s));
		return NULL;
	}
	(void)fcntl(STATE_FD, F_SETFD, FD_CLOEXEC);
	cur = s;
	return s;
}
