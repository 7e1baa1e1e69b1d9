/* fake-sys.c — link-time fake of sys.h for unit tests: scripts results and
 * records the order of calls.
 *
 * fake_sys_script("umount2:/oldroot/home:-1:EBUSY") makes the next matching
 * call fail with that errno (each script line is used once, first match in
 * order). Every call is appended to fake_sys_log as "name:arg\n".
 * Log and scripts live in a shared mapping: the run makes its calls in
 * bounded children (spawn.c), and the test reads them in the parent. The
 * errno name HANG makes the call block forever instead (run it in a
 * child: a test of a deadline). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sys.h"
#include "fake-sys.h"

struct fake_shared {
	char log[65536];
	char scripts[64][256];
	int nscripts;
};
static struct fake_shared local, *sh;

struct fake_shared *fake_sys_shared(void)
{
	if (!sh) {
		void *p = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		sh = p == MAP_FAILED ? &local : p;
	}
	return sh;
}
#define scripts (fake_sys_shared()->scripts)
#define nscripts (fake_sys_shared()->nscripts)

void fake_sys_reset(void)
{
	fake_sys_log[0] = '\0';
	nscripts = 0;
}

void fake_sys_script(const char *line)
{
	if (nscripts < 64) {
		snprintf(scripts[nscripts], sizeof(scripts[0]), "%s", line);
		nscripts++;
	}
}

static int errno_named(const char *name)
{
	static const struct { const char *n; int e; } tab[] = {
		{ "EBUSY", EBUSY }, { "EINVAL", EINVAL }, { "ENOENT", ENOENT },
		{ "EPERM", EPERM }, { "EIO", EIO }, { "ENXIO", ENXIO },
		{ "ENOMEM", ENOMEM }, { "EROFS", EROFS }, { "ENOSYS", ENOSYS },
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(tab[i].n, name) == 0)
			return tab[i].e;
	return EIO;
}

/* Returns 0 (no script matched) or -1 with errno set. */
static int fake_call(const char *name, const char *arg)
{
	char prefix[300];
	int i;

	snprintf(prefix, sizeof(prefix), "%s:%s:", name, arg ? arg : "");
	strncat(fake_sys_log, prefix, sizeof(fake_sys_log) - strlen(fake_sys_log) - 1);
	fake_sys_log[strlen(fake_sys_log) - 1] = '\n';
	for (i = 0; i < nscripts; i++) {
		size_t pl = strlen(prefix);
		if (scripts[i][0] && strncmp(scripts[i], prefix, pl) == 0) {
			const char *rest = scripts[i] + pl;   /* "-1:EBUSY" */
			const char *colon = strchr(rest, ':');
			int e = colon ? errno_named(colon + 1) : EIO;
			scripts[i][0] = '\0';
			if (colon && strcmp(colon + 1, "HANG") == 0)
				for (;;)
					pause();
			errno = e;
			return -1;
		}
	}
	return 0;
}

int sys_mount(const char *src, const char *target, const char *type,
	      unsigned long flags, const void *data)
{
	return fake_call("mount", target);
}

int sys_umount2(const char *target, int flags)
{
	return fake_call("umount2", target);
}

int sys_pivot_root(const char *new_root, const char *put_old)
{
	return fake_call("pivot_root", new_root);
}

int sys_reboot(int cmd)
{
	char a[32];
	snprintf(a, sizeof(a), "%#x", (unsigned)cmd);
	return fake_call("reboot", a);
}

int sys_swapoff(const char *path)
{
	return fake_call("swapoff", path);
}

int sys_kill(pid_t pid, int sig)
{
	char a[48];
	snprintf(a, sizeof(a), "%d/%d", (int)pid, sig);
	return fake_call("kill", a);
}

int sys_ioctl(int fd, unsigned long req, void *arg)
{
	char a[48];
	snprintf(a, sizeof(a), "%#lx", req);
	return fake_call("ioctl", a);
}

void sys_sync(void)
{
	(void)fake_call("sync", "");
}
