/* killall.c — /proc walk, protected processes, grace period, SIGKILL. We
 * signal each process ourselves (not kill(-1)) so that protected ones get
 * no signal at all, not even SIGSTOP/SIGCONT. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "killall.h"
#include "clock.h"
#include "log.h"
#include "proc.h"
#include "spawn.h"
#include "sys.h"
#include "sysfs.h"

bool killall_is_protected(const struct config *c, const char *dir, bool *ret_by_config)
{
	char path[320], buf[8];
	struct proc_stat ps;

	if (ret_by_config)
		*ret_by_config = false;
	if (!proc_real_uid_is_root(dir))
		return false;
	snprintf(path, sizeof(path), "%s/cmdline", dir);
	if (sysfs_read(path, buf, sizeof(buf)) > 0 && buf[0] == '@')
		return true;
	if (proc_stat_read(dir, &ps) == 0 && config_is_protected(c, ps.comm)) {
		if (ret_by_config)
			*ret_by_config = true;
		return true;
	}
	return false;
}

/* Each pid is judged once: the poll of the grace period reads only
 * /proc/PID/stat, never cmdline, which takes the target's mmap lock (held
 * by a process stuck in a page fault on a dead NFS or FUSE mount). A pid
 * reused meanwhile keeps its verdict; the window is one grace period. */
struct verdict {
	pid_t pid;
	bool spared;
};
static struct verdict *verdicts;
static size_t nverdicts, maxverdicts;

static bool judged_spared(const struct config *c, pid_t pid, const char *dir)
{
	struct verdict *v;
	size_t i;

	for (i = 0; i < nverdicts; i++)
		if (verdicts[i].pid == pid)
			return verdicts[i].spared;
	if (nverdicts == maxverdicts) {
		size_t m = maxverdicts ? maxverdicts * 2 : 256;

		v = realloc(verdicts, m * sizeof(*v));
		if (!v)
			return killall_is_protected(c, dir, NULL);
		verdicts = v;
		maxverdicts = m;
	}
	verdicts[nverdicts].pid = pid;
	verdicts[nverdicts].spared = killall_is_protected(c, dir, NULL);
	return verdicts[nverdicts++].spared;
}

/* What a survivor holds: its first fd or cwd under the old root. */
static void name_holding(const char *dir, const char *oldroot, char *out, size_t outsz)
{
	char path[300], link[512];
	DIR *d;
	struct dirent *de;
	size_t ol = strlen(oldroot);
	ssize_t n;

	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/fd", dir);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		/* the files it opened tell more than its stdio */
		if (atoi(de->d_name) <= 2)
			continue;
		snprintf(path, sizeof(path), "%s/fd/%s", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (strstr(link, "/dev/") == link + (ol > 1 ? ol : 0) ||
		    strncmp(link, "/dev/", 5) == 0)
			continue;
		if (link[0] == '/' && (ol <= 1 || strncmp(link, oldroot, ol) == 0)) {
			snprintf(out, outsz, " holding %s", link);
			break;
		}
	}
	if (d)
		closedir(d);
	if (!out[0]) {
		snprintf(path, sizeof(path), "%s/cwd", dir);
		n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			snprintf(out, outsz, " cwd %s", link);
		}
	}
}

/* Signal (sig > 0) or count (sig == 0) the processes we may kill. */
static int walk(const struct config *c, pid_t spare, int sig, bool report, const char *oldroot)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t self = getpid();
	int n = 0;

	if (!d) {
		log_err("/proc: %s, cannot kill processes", strerror(errno));
		return 0;
	}
	while ((de = readdir(d))) {
		char dir[300];
		struct proc_stat ps;
		pid_t pid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = (pid_t)strtol(de->d_name, NULL, 10);
		/* PID 1 is the keeper; a signal to it from inside its
		 * namespace is dropped anyway */
		if (pid == self || pid == spare || pid <= 1)
			continue;
		snprintf(dir, sizeof(dir), "/proc/%d", (int)pid);
		if (proc_stat_read(dir, &ps) < 0)
			continue;
		if ((ps.flags & PROC_PF_KTHREAD) || ps.state == 'Z' || ps.state == 'X')
			continue;
		if (judged_spared(c, pid, dir)) {
			if (report && sig == SIGTERM)
				log_info("sparing protected process %d (%s)", (int)pid, ps.comm);
			continue;
		}
		n++;
		if (report && sig == SIGKILL) {
			char holds[600];
			name_holding(dir, oldroot, holds, sizeof(holds));
			log_warn("killing %d (%s)%s: still running after %u ms",
				 (int)pid, ps.comm, holds, c->kill_timeout_ms);
		}
		if (sig > 0) {
			(void)sys_kill(pid, sig);
			if (sig == SIGTERM)
				(void)sys_kill(pid, SIGCONT);
		}
	}
	closedir(d);
	return n;
}

/* Wait up to ms for every killable process to go, reaping as PID 1 must. */
static int wait_gone(const struct config *c, pid_t spare, unsigned ms)
{
	uint64_t end = now_ms() + ms;
	unsigned step = 2;
	int left;

	while ((left = walk(c, spare, 0, false, "")) > 0 && now_ms() < end) {
		uint64_t rest = end - now_ms();
		reap_sleep(rest < step ? (unsigned)rest : step);
		if (step < 50)
			step *= 2;
	}
	(void)reap_all();
	return left;
}

int killall_run(const struct config *c, pid_t spare, const char *oldroot, struct stats *st)
{
	int n, left;

	n = walk(c, spare, SIGTERM, true, oldroot);
	if (n == 0)
		return 0;
	log_info("sent SIGTERM to %d processes", n);
	left = wait_gone(c, spare, c->kill_timeout_ms);
	if (left == 0)
		return 0;
	st->killed += (unsigned)walk(c, spare, SIGKILL, true, oldroot);
	left = wait_gone(c, spare, KILLALL_SURVIVOR_WAIT_MS / 2);
	/* a fork during the first sweep escaped it */
	if (left > 0) {
		(void)walk(c, spare, SIGKILL, false, oldroot);
		left = wait_gone(c, spare, KILLALL_SURVIVOR_WAIT_MS / 2);
	}
	if (left > 0)
		log_err("%d processes survived SIGKILL (stuck in the kernel?), going on", left);
	return left;
}
