/* detach-swap.c — swapoff every swap in scope, each in a bounded child: a
 * swapoff pages everything back in and can take long on a slow device. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "spawn.h"
#include "teardown.h"

#define SWAPOFF_TIMEOUT_MS 10000

/* /proc/swaps escapes space, tab, newline and backslash as \ooo */
static void unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] && s[3]) {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

static bool swap_in_scope(const struct scope *s, const char *path)
{
	struct stat st;

	if (s->whole_machine)
		return true;
	if (stat(path, &st) < 0)
		return false;
	return scope_has(s, S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev);
}

int swap_detach_all(const struct scope *s, bool last_try, bool *changed, struct stats *st)
{
	char line[4200], path[4100];
	FILE *f = fopen(s->swaps, "re");
	int left = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		int r;

		if (sscanf(line, "%4095s", path) != 1 || path[0] != '/')
			continue;       /* the header line */
		unescape(path);
		if (!swap_in_scope(s, path))
			continue;
		r = spawn_swapoff(path, SWAPOFF_TIMEOUT_MS);
		if (r == 0) {
			st->swapoff++;
			*changed = true;
			log_info("swapoff %s", path);
		} else {
			left++;
			log_msg(last_try ? LOG_LVL_ERR : LOG_LVL_WARN, "swapoff %s: %s", path,
				r == SPAWN_TIMEOUT ? "timed out" : strerror(-r));
		}
	}
	fclose(f);
	return left;
}
