/* config.c — the keys, their values and defaults; the text sources are in
 * config-file.c, argv in cmdline.c. Precedence: defaults < file < kernel cmdline < argv.
 * Bad input is reported and skipped: shutdown goes on whatever the input. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"


static const char *const key_names[KEY__MAX] = {
	[KEY_SKEL] = "skel",
	[KEY_DEADLINE] = "deadline",
	[KEY_KILL_TIMEOUT] = "kill_timeout",
	[KEY_HOOK_TIMEOUT] = "hook_timeout",
	[KEY_WATCHDOG] = "watchdog",
	[KEY_VERBOSE] = "verbose",
	[KEY_PROTECT] = "protect",
	[KEY_PRELOAD] = "preload",
	[KEY_KEXEC_WITH_KEYS] = "kexec_with_keys",
	[KEY_RAMFS_SIZE] = "ramfs_size",
	[KEY_REPORT] = "report",
	[KEY_REPORT_FILE] = "report_file",
	[KEY_NOTIFY] = "notify",
};

const char *config_key_name(enum config_key k)
{
	return (unsigned)k < KEY__MAX ? key_names[k] : "?";
}

const char *config_src_name(enum config_src s)
{
	switch (s) {
	case SRC_FILE: return "file";
	case SRC_CMDLINE: return "kernel";
	case SRC_ARGV: return "argv";
	default: return "default";
	}
}

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->skel, sizeof(c->skel), "%s", CONFIG_DEFAULT_SKEL);
	c->deadline_ms = 60000;
	c->kill_timeout_ms = 5000;
	c->hook_timeout_ms = 10000;
	snprintf(c->watchdog, sizeof(c->watchdog), "auto");
	c->ramfs_size = 256ULL << 20;
	c->report_routes = REPORT_ROUTES_AUTO;
	snprintf(c->notify, sizeof(c->notify), "off");
	snprintf(c->file, sizeof(c->file), "%s", CONFIG_DEFAULT_FILE);
	c->container_exit = -1;
}

/* "5", "2.5", "2.5s", "500ms" -> ms, at most max_s seconds. */
static int parse_seconds(const char *v, unsigned max_s, unsigned *ret_ms)
{
	unsigned long long n = 0, frac = 0, scale = 1;
	const char *p = v;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	while (isdigit((unsigned char)*p)) {
		n = n * 10 + (unsigned)(*p++ - '0');
		if (n > (unsigned long long)max_s * 1000)
			return -EINVAL;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		for (; isdigit((unsigned char)*p); p++)
			if (scale < 1000) {
				frac = frac * 10 + (unsigned)(*p - '0');
				scale *= 10;
			}
	}
	if (strcmp(p, "ms") == 0) {
		if (scale > 1)
			return -EINVAL;         /* no fractions of a millisecond */
	} else if (*p == '\0' || strcmp(p, "s") == 0) {
		n = n * 1000 + frac * (1000 / scale);
	} else {
		return -EINVAL;
	}
	if (n > (unsigned long long)max_s * 1000)
		return -EINVAL;
	*ret_ms = (unsigned)n;
	return 0;
}

static int parse_bool(const char *v, bool *ret)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return *ret = true, 0;
		if (strcasecmp(v, no[i]) == 0)
			return *ret = false, 0;
	}
	return -EINVAL;
}

/* "512K", "64M", "1G" or bytes. The shift is checked before it is made:
 * 18014398509482048K must not wrap around to 64K. */
static int parse_size(const char *v, unsigned long long *ret)
{
	char *end;
	unsigned long long n;
	unsigned shift = 0;

	if (!isdigit((unsigned char)*v))
		return -EINVAL;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if (*end || n > (CONFIG_RAMFS_MAX >> shift))
		return -EINVAL;
	n <<= shift;
	if (n < CONFIG_RAMFS_MIN)
		return -EINVAL;
	*ret = n;
	return 0;
}

/* A value under the floor is raised to it: -ERANGE tells the caller to
 * say so. 0 keeps its meaning where it has one (deadline: off). */
static int floor_ms(unsigned *ms, unsigned floor, bool zero_ok)
{
	if ((*ms == 0 && zero_ok) || *ms >= floor)
		return 0;
	*ms = floor;
	return -ERANGE;
}

/* Space- or comma-separated names, each [A-Za-z0-9_.@:+-]. Replaces the list. */
static int parse_list(const char *v, char (*list)[CONFIG_NAME_MAX], unsigned *ret_n)
{
	char tmp[CONFIG_LIST_MAX][CONFIG_NAME_MAX];
	unsigned n = 0;

	while (*v) {
		size_t len = 0;
		while (*v == ' ' || *v == ',' || *v == '\t')
			v++;
		if (!*v)
			break;
		while (v[len] && v[len] != ' ' && v[len] != ',' && v[len] != '\t') {
			unsigned char ch = (unsigned char)v[len];
			if (!isalnum(ch) && !strchr("_.@:+-", ch))
				return -EINVAL;
			len++;
		}
		if (len >= CONFIG_NAME_MAX || n >= CONFIG_LIST_MAX)
			return -EINVAL;
		memcpy(tmp[n], v, len);
		tmp[n++][len] = '\0';
		v += len;
	}
	memcpy(list, tmp, sizeof(tmp));
	*ret_n = n;
	return 0;
}

/* "auto", "off", or route names: pstore efivar file */
static int parse_routes(const char *v, unsigned *ret)
{
	static const char *const names[] = { "pstore", "efivar", "file" };
	static const unsigned bits[] = { REPORT_ROUTE_PSTORE, REPORT_ROUTE_EFIVAR, REPORT_ROUTE_FILE };
	char list[CONFIG_LIST_MAX][CONFIG_NAME_MAX];
	unsigned n, i, k, routes = 0;

	if (parse_list(v, list, &n) < 0 || n == 0)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (strcmp(list[i], "auto") == 0 && n == 1)
			return *ret = REPORT_ROUTES_AUTO, 0;
		if (strcmp(list[i], "off") == 0 && n == 1)
			return *ret = 0, 0;
		for (k = 0; k < 3 && strcmp(list[i], names[k]) != 0; k++)
			;
		if (k == 3)
			return -EINVAL;
		routes |= bits[k];
	}
	*ret = routes;
	return 0;
}

static bool is_name(const char *v, const char *extra)
{
	if (!*v)
		return false;
	for (; *v; v++)
		if (!isalnum((unsigned char)*v) && !strchr(extra, *v))
			return false;
	return true;
}

/* off | isa-debug-exit[:PORT] | virtio-serial:NAME | vmm[:vsock...:CID:PORT] */
static int check_notify(const char *v)
{
	char *end;

	if (strcmp(v, "off") == 0 || strcmp(v, "isa-debug-exit") == 0 || strcmp(v, "vmm") == 0)
		return 0;
	if (strncmp(v, "isa-debug-exit:", 15) == 0) {
		unsigned long port;
		errno = 0;
		port = strtoul(v + 15, &end, 0);
		return errno || *end || end == v + 15 || port > 0xffff ? -EINVAL : 0;
	}
	if (strncmp(v, "virtio-serial:", 14) == 0)
		return is_name(v + 14, "_.-") ? 0 : -EINVAL;
	if (strncmp(v, "vmm:vsock", 9) == 0)
		return is_name(v + 4, "-:") ? 0 : -EINVAL;
	return -EINVAL;
}

static int key_lookup(const char *key)
{
	char norm[32];
	size_t i;

	for (i = 0; key[i] && i < sizeof(norm) - 1; i++)
		norm[i] = key[i] == '-' ? '_' : key[i];
	if (key[i])
		return -ENOENT;
	norm[i] = '\0';
	for (i = 0; i < KEY__MAX; i++)
		if (strcmp(norm, key_names[i]) == 0)
			return (int)i;
	return -ENOENT;
}

int config_set(struct config *c, const char *key, const char *v, enum config_src src)
{
	int k = key_lookup(key);
	int r = 0;

	if (k < 0)
		return -ENOENT;
	switch ((enum config_key)k) {
	case KEY_SKEL:
		if (v[0] != '/' || strlen(v) >= sizeof(c->skel))
			return -EINVAL;
		snprintf(c->skel, sizeof(c->skel), "%s", v);
		break;
	case KEY_DEADLINE:
		r = parse_seconds(v, 3600, &c->deadline_ms);
		if (r == 0)
			r = floor_ms(&c->deadline_ms, CONFIG_DEADLINE_MIN_MS, true);
		break;
	case KEY_KILL_TIMEOUT:
		r = parse_seconds(v, 600, &c->kill_timeout_ms);     /* 0: SIGKILL at once */
		break;
	case KEY_HOOK_TIMEOUT:
		r = parse_seconds(v, 3600, &c->hook_timeout_ms);
		if (r == 0)
			r = floor_ms(&c->hook_timeout_ms, CONFIG_HOOK_TIMEOUT_MIN_MS, false);
		break;
	case KEY_WATCHDOG:
		if (strcmp(v, "auto") && strcmp(v, "off") &&
		    (strncmp(v, "/dev/", 5) != 0 || strlen(v) >= sizeof(c->watchdog)))
			return -EINVAL;
		snprintf(c->watchdog, sizeof(c->watchdog), "%s", v);
		break;
	case KEY_VERBOSE:
		r = parse_bool(v, &c->verbose);
		break;
	case KEY_PROTECT:
		r = parse_list(v, c->protect, &c->nprotect);
		break;
	case KEY_PRELOAD:
		r = parse_list(v, c->preload, &c->npreload);
		break;
	case KEY_KEXEC_WITH_KEYS:
		r = parse_bool(v, &c->kexec_with_keys);
		break;
	case KEY_RAMFS_SIZE:
		r = parse_size(v, &c->ramfs_size);
		break;
	case KEY_REPORT:
		r = parse_routes(v, &c->report_routes);
		break;
	case KEY_REPORT_FILE:
		if (strlen(v) >= sizeof(c->report_file) ||
		    (*v && v[0] != '/' && !strchr(v, '=')))
			return -EINVAL;
		snprintf(c->report_file, sizeof(c->report_file), "%s", v);
		break;
	case KEY_NOTIFY:
		if (strlen(v) >= sizeof(c->notify) || check_notify(v) < 0)
			return -EINVAL;
		snprintf(c->notify, sizeof(c->notify), "%s", v);
		break;
	default:
		return -ENOENT;
	}
	if (r == 0 || r == -ERANGE)
		c->src[k] = src;
	return r;
}

void config_warn_set(const struct config *c, int r, const char *where, const char *key,
		     const char *val)
{
	char now[PATH_MAX + 32];
	int k = key_lookup(key);

	if (r == -ENOENT)
		log_warn("%s: unknown key '%.64s', ignoring", where, key);
	else if (r == -ERANGE && k >= 0 && config_value(c, (enum config_key)k, now, sizeof(now)) == 0)
		log_warn("%s: %s = '%.64s' is below the minimum, using %s", where, key, val, now);
	else if (r < 0)
		log_warn("%s: bad value '%.64s' for %s, keeping the old value", where, val, key);
}

void config_routes_name(unsigned routes, char *buf, size_t n)
{
	if (routes == 0) {
		snprintf(buf, n, "off");
		return;
	}
	snprintf(buf, n, "%s%s%s%s%s", routes & REPORT_ROUTE_PSTORE ? "pstore" : "",
		 (routes & REPORT_ROUTE_PSTORE) && (routes & ~REPORT_ROUTE_PSTORE) ? " " : "",
		 routes & REPORT_ROUTE_EFIVAR ? "efivar" : "",
		 (routes & REPORT_ROUTE_EFIVAR) && (routes & REPORT_ROUTE_FILE) ? " " : "",
		 routes & REPORT_ROUTE_FILE ? "file" : "");
}

bool config_is_protected(const struct config *c, const char *comm)
{
	unsigned i;

	for (i = 0; i < c->nprotect; i++)
		if (strcmp(c->protect[i], comm) == 0)
			return true;
	return false;
}


static int join_list(char *out, size_t outsz, const char (*list)[CONFIG_NAME_MAX], unsigned n)
{
	size_t pos = 0;
	unsigned i;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		int w = snprintf(out + pos, outsz - pos, "%s%s", i ? " " : "", list[i]);
		if (w < 0 || (size_t)w >= outsz - pos)
			return -ENOSPC;
		pos += (size_t)w;
	}
	return 0;
}

int config_value(const struct config *c, enum config_key k, char *buf, size_t sz)
{
	char list[CONFIG_LIST_MAX * CONFIG_NAME_MAX];

	switch (k) {
	case KEY_SKEL: snprintf(buf, sz, "%s", c->skel); break;
	case KEY_DEADLINE: snprintf(buf, sz, "%ums", c->deadline_ms); break;
	case KEY_KILL_TIMEOUT: snprintf(buf, sz, "%ums", c->kill_timeout_ms); break;
	case KEY_HOOK_TIMEOUT: snprintf(buf, sz, "%ums", c->hook_timeout_ms); break;
	case KEY_WATCHDOG: snprintf(buf, sz, "%s", c->watchdog); break;
	case KEY_VERBOSE: snprintf(buf, sz, "%s", c->verbose ? "yes" : "no"); break;
	case KEY_KEXEC_WITH_KEYS: snprintf(buf, sz, "%s", c->kexec_with_keys ? "yes" : "no"); break;
	case KEY_RAMFS_SIZE: snprintf(buf, sz, "%llu", c->ramfs_size); break;
	case KEY_REPORT: config_routes_name(c->report_routes, buf, sz); break;
	case KEY_REPORT_FILE: snprintf(buf, sz, "%s", c->report_file); break;
	case KEY_NOTIFY: snprintf(buf, sz, "%s", c->notify); break;
	case KEY_PROTECT:
	case KEY_PRELOAD:
		if (join_list(list, sizeof(list), k == KEY_PROTECT ? c->protect : c->preload,
			      k == KEY_PROTECT ? c->nprotect : c->npreload) < 0)
			return -ENOSPC;
		snprintf(buf, sz, "%s", list);
		break;
	default:
		buf[0] = '\0';
		return -ENOENT;
	}
	return 0;
}
