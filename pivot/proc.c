/* proc.c — /proc/PID/stat and status, parsed one way for the whole run:
 * the kill (killall.c) and the hook leftovers (hooks-left.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc.h"
#include "sysfs.h"

int proc_stat_read(const char *dir, struct proc_stat *ret)
{
	char buf[1024], path[320];
	char *l, *r, *end;
	long v[6];
	int i;

	snprintf(path, sizeof(path), "%s/stat", dir);
	if (sysfs_read(path, buf, sizeof(buf)) <= 0)
		return -ENOENT;
	/* comm may hold spaces and parens: it ends at the last ')' */
	l = strchr(buf, '(');
	r = strrchr(buf, ')');
	if (!l || !r || r < l || r[1] != ' ' || !r[2])
		return -EINVAL;
	snprintf(ret->comm, sizeof(ret->comm), "%.*s", (int)(r - l - 1), l + 1);
	ret->state = r[2];
	/* after the state: ppid pgrp session tty_nr tpgid flags */
	for (i = 0, l = r + 3; i < 6; i++, l = end) {
		v[i] = strtol(l, &end, 10);
		if (end == l)
			return -EINVAL;
	}
	ret->ppid = (pid_t)v[0];
	ret->pgrp = (pid_t)v[1];
	ret->flags = (unsigned)v[5];
	return 0;
}

bool proc_real_uid_is_root(const char *dir)
{
	char path[320], buf[1024];
	const char *u;
	unsigned uid;

	snprintf(path, sizeof(path), "%s/status", dir);
	if (sysfs_read(path, buf, sizeof(buf)) <= 0 || !(u = strstr(buf, "\nUid:")))
		return false;
	return sscanf(u + 5, "%u", &uid) == 1 && uid == 0;
}
