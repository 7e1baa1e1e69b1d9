/* exitrd.c — systemd-shutdown's handover: its options, its watchdog
 * environment, and its `exit` verb. Read by cmdline.c, applied in
 * config_build(), the exit taken just before final_action(). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "config.h"
#include "exitrd.h"
#include "log.h"
#include "scope.h"

/* Options that take a value (as `--name=V` or `--name V`), and flags with
 * an optional `=BOOL`, as systemd-shutdown's getopt table declares them. */
static const char **slot(struct exitrd_args *sd, const char *name, bool *ret_flag)
{
	static const struct {
		const char *name;
		size_t off;
		bool flag;
	} opts[] = {
		{ "log-level", offsetof(struct exitrd_args, log_level), false },
		{ "log-target", offsetof(struct exitrd_args, log_target), false },
		{ "timeout", offsetof(struct exitrd_args, timeout), false },
		{ "exit-code", offsetof(struct exitrd_args, exit_code), false },
		{ "log-color", offsetof(struct exitrd_args, log_color), true },
		{ "log-location", offsetof(struct exitrd_args, log_location), true },
		{ "log-time", offsetof(struct exitrd_args, log_time), true },
	};
	size_t k;

	for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
		if (strcmp(name, opts[k].name) == 0) {
			*ret_flag = opts[k].flag;
			return (const char **)(void *)((char *)sd + opts[k].off);
		}
	return NULL;
}

int exitrd_parse_option(struct exitrd_args *sd, int argc, char **argv, int *i)
{
	const char *a = argv[*i] + 2, *eq = strchr(a, '=');
	char name[32];
	size_t nl = eq ? (size_t)(eq - a) : strlen(a);
	const char **val;
	bool flag;

	if (nl >= sizeof(name))
		return 0;
	memcpy(name, a, nl);
	name[nl] = '\0';
	val = slot(sd, name, &flag);
	if (!val)
		return 0;
	if (eq)
		*val = eq + 1;
	else if (flag)
		*val = "";
	else if (*i + 1 < argc)
		*val = argv[++*i];
	else
		*val = "";      /* a missing value is judged bad in exitrd_apply */
	return 1;
}

int exitrd_log_level(const char *s)
{
	static const char *const names[] = {
		"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
	};
	int k;

	if (!s)
		return -EINVAL;
	if (s[0] >= '0' && s[0] <= '7' && s[1] == '\0')
		return s[0] - '0';
	for (k = 0; k < 8; k++)
		if (strcmp(s, names[k]) == 0)
			return k;
	return -EINVAL;
}

bool exitrd_log_target_valid(const char *s)
{
	static const char *const names[] = {
		"console", "kmsg", "journal", "syslog", "journal-or-kmsg",
		"syslog-or-kmsg", "auto", "null", "console-prefixed",
	};
	size_t k;

	for (k = 0; s && k < sizeof(names) / sizeof(names[0]); k++)
		if (strcmp(s, names[k]) == 0)
			return true;
	return false;
}

int exitrd_bool(const char *s)
{
	static const char *const yes[] = { "", "1", "yes", "y", "true", "t", "on" };
	static const char *const no[] = { "0", "no", "n", "false", "f", "off" };
	size_t k;

	if (!s)
		return -EINVAL;
	for (k = 0; k < sizeof(yes) / sizeof(yes[0]); k++)
		if (strcasecmp(s, yes[k]) == 0)
			return 1;
	for (k = 0; k < sizeof(no) / sizeof(no[0]); k++)
		if (strcasecmp(s, no[k]) == 0)
			return 0;
	return -EINVAL;
}

/* Microseconds per unit; the longest names first where one is a prefix. */
static unsigned long long unit_us(const char **p)
{
	static const struct {
		const char *name;
		unsigned long long us;
	} units[] = {
		{ "usec", 1 }, { "us", 1 }, { "msec", 1000 }, { "ms", 1000 },
		{ "seconds", 1000000 }, { "second", 1000000 }, { "sec", 1000000 },
		{ "s", 1000000 }, { "minutes", 60000000 }, { "minute", 60000000 },
		{ "min", 60000000 }, { "m", 60000000 }, { "hours", 3600000000ULL },
		{ "hour", 3600000000ULL }, { "hr", 3600000000ULL }, { "h", 3600000000ULL },
		{ "days", 86400000000ULL }, { "day", 86400000000ULL }, { "d", 86400000000ULL },
	};
	size_t k, n;

	for (k = 0; k < sizeof(units) / sizeof(units[0]); k++) {
		n = strlen(units[k].name);
		if (strncmp(*p, units[k].name, n) == 0 && !isalpha((unsigned char)(*p)[n])) {
			*p += n;
			return units[k].us;
		}
	}
	return isalpha((unsigned char)**p) ? 0 : 1000000;     /* bare number: seconds */
}

#define TIMESPAN_MAX_US (366ULL * 86400000000ULL)       /* a year: a sane bound */

int exitrd_timespan_ms(const char *s, unsigned long long *ret_ms)
{
	unsigned long long total = 0;
	const char *p = s;
	unsigned parts = 0;

	if (!s)
		return -EINVAL;
	while (isspace((unsigned char)*p))
		p++;
	if (strcmp(p, "infinity") == 0)
		return -ERANGE;
	while (*p && parts++ < 16) {
		unsigned long long n = 0, frac = 0, scale = 1, us;

		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		while (isdigit((unsigned char)*p)) {
			n = n * 10 + (unsigned)(*p++ - '0');
			if (n > TIMESPAN_MAX_US)
				return -ERANGE;
		}
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++)
				if (scale < 1000000) {
					frac = frac * 10 + (unsigned)(*p - '0');
					scale *= 10;
				}
		while (isspace((unsigned char)*p))
			p++;
		us = unit_us(&p);
		if (!us)
			return -EINVAL;
		if (n > TIMESPAN_MAX_US / us)
			return -ERANGE;
		total += n * us + frac * us / scale;
		if (total > TIMESPAN_MAX_US)
			return -ERANGE;
		while (isspace((unsigned char)*p))
			p++;
	}
	if (*p || parts == 0)
		return -EINVAL;
	*ret_ms = (total + 999) / 1000;
	return 0;
}

int exitrd_exit_code(const char *s)
{
	char *end;
	long v;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v > 255)
		return -EINVAL;
	return (int)v;
}

int exitrd_watchdog_s(const char *usec)
{
	unsigned long long v;
	char *end;

	if (!usec || !isdigit((unsigned char)*usec))
		return 0;
	errno = 0;
	v = strtoull(usec, &end, 10);
	/* USEC_INFINITY (2^64-1) overflows nothing here but means no timeout */
	if (errno || *end || v == 0 || v == ULLONG_MAX)
		return 0;
	v = v / 1000000 + (v % 1000000 != 0);
	return v > INT_MAX ? INT_MAX : (int)v;
}

static void apply_flag(const char *name, const char *v)
{
	if (v && exitrd_bool(v) < 0)
		log_warn("exitrd: bad value '%.32s' for systemd's --%s, ignoring", v, name);
}

static void apply_timeout(struct config *c, const char *v)
{
	unsigned long long ms;
	int r;

	if (!v)
		return;
	r = exitrd_timespan_ms(v, &ms);
	if (r == -ERANGE)
		return;         /* infinity or beyond a year: no cap */
	if (r < 0) {
		log_warn("exitrd: bad --timeout '%.32s' from systemd, ignoring", v);
		return;
	}
	if (ms < c->kill_timeout_ms) {
		log_info("exitrd: kill timeout %llu ms, systemd's --timeout (was %u ms)",
			 ms, c->kill_timeout_ms);
		c->kill_timeout_ms = (unsigned)ms;
	}
}

void exitrd_apply(struct config *c, const struct exitrd_args *sd)
{
	int lvl = -1, code = 0;

	if (sd->log_level && (lvl = exitrd_log_level(sd->log_level)) < 0)
		log_warn("exitrd: bad --log-level '%.32s' from systemd, ignoring", sd->log_level);
	if (lvl == 7 && !c->verbose) {
		c->verbose = true;
		log_set_verbose(true);
	}
	/* our kmsg and console sinks stay whatever systemd logged to: the
	 * journal is gone, and the summary must reach both */
	if (sd->log_target && !exitrd_log_target_valid(sd->log_target))
		log_warn("exitrd: unknown --log-target '%.32s' from systemd, ignoring",
			 sd->log_target);
	apply_flag("log-color", sd->log_color);
	apply_flag("log-location", sd->log_location);
	apply_flag("log-time", sd->log_time);
	apply_timeout(c, sd->timeout);
	if (sd->exit_code && (code = exitrd_exit_code(sd->exit_code)) < 0) {
		log_warn("exitrd: bad --exit-code '%.32s' from systemd, using 0", sd->exit_code);
		code = 0;
	}
	if (sd->exit_verb)
		c->container_exit = code;
	if (sd->nunknown)
		log_info("exitrd: %u option(s) not known here, ignoring (first: %.48s)",
			 sd->nunknown, sd->unknown);
	if (sd->excess)
		log_warn("exitrd: extra argument '%.48s' after the verb, ignoring", sd->excess);
	log_info("exitrd: systemd-shutdown handed over: log-level=%s log-target=%s "
		 "timeout=%s%s%s", sd->log_level ? sd->log_level : "-",
		 sd->log_target ? sd->log_target : "-", sd->timeout ? sd->timeout : "-",
		 sd->exit_verb ? " exit-code=" : "", sd->exit_verb ? (sd->exit_code ? sd->exit_code : "0") : "");
}

void exitrd_container_exit(const struct config *c)
{
	if (c->container_exit < 0)
		return;
	if (pidns_is_initial()) {
		log_info("exit: not in a container, powering off as systemd-shutdown does");
		return;
	}
	/* A child PID namespace ends with its PID 1; the kernel kills the rest.
	 * The status is what systemd asked the container to return. */
	log_notice("exit: ending the container with status %d", c->container_exit);
	_exit(c->container_exit);
}
