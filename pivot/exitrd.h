/* exitrd.h — what systemd-shutdown hands its exitrd (/run/initramfs/shutdown):
 * the verb, its own options and WATCHDOG_USEC / WATCHDOG_DEVICE. */
#ifndef EXITRD_H
#define EXITRD_H

#include <stdbool.h>
#include <stddef.h>

struct config;

/* systemd v252 execs `/shutdown VERB --log-level=N --timeout=Nus
 * --log-target=T [--log-color] [--log-location] [--log-time]
 * [--exit-code=N]`; older ones pass some values as separate words. The raw
 * text is kept here and judged in exitrd_apply(), where the log is open. */
struct exitrd_args {
	const char *log_level;          /* NULL: not given */
	const char *log_target;
	const char *log_color;          /* "" for the bare flag */
	const char *log_location;
	const char *log_time;
	const char *timeout;
	const char *exit_code;
	const char *unknown;            /* the first option we do not know */
	unsigned nunknown;
	const char *excess;             /* the first extra positional word */
	bool exit_verb;                 /* the verb was `exit` */
};

/* argv[*i] starts with "--": consume one of systemd's options (and a
 * separate value word). Returns 1 if it was one, 0 if not. */
int exitrd_parse_option(struct exitrd_args *sd, int argc, char **argv, int *i);

/* Pure parsers (unit-tested). */
/* 0..7 or emerg, alert, crit, err, warning, notice, info, debug. */
int exitrd_log_level(const char *s);
/* console kmsg journal syslog journal-or-kmsg syslog-or-kmsg auto null. */
bool exitrd_log_target_valid(const char *s);
/* systemd's booleans: 1 yes y true t on / 0 no n false f off; "" is yes. */
int exitrd_bool(const char *s);
/* A systemd time span ("90000000us", "90s", "1min 30s", "5" = seconds)
 * in ms, rounded up; "infinity" gives -ERANGE. */
int exitrd_timespan_ms(const char *s, unsigned long long *ret_ms);
/* 0..255 */
int exitrd_exit_code(const char *s);
/* WATCHDOG_USEC in whole seconds, rounded up; 0 for none (NULL, "", "0",
 * garbage, or infinity: systemd then left no timeout to keep). */
int exitrd_watchdog_s(const char *usec);

/* Apply what systemd asked, after every other config source: a debug log
 * level turns on verbose, --timeout caps kill_timeout (systemd's
 * DefaultTimeoutStopSec bounds its own wait for processes, and ours is no
 * longer), the exit verb sets c->container_exit. Logs what it took and
 * what it ignored. */
void exitrd_apply(struct config *c, const struct exitrd_args *sd);

/* Called once just before final_action(): with systemd's exit verb in a
 * child PID namespace (a container), PID 1 ends with --exit-code as its
 * status, which is what a container manager reads. On the host the verb
 * means poweroff, as in systemd-shutdown, and this returns. */
void exitrd_container_exit(const struct config *c);

#endif
