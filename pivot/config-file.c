/* config-file.c — the text sources of the config: /etc/shutdownfs.conf and
 * the kernel command line. Every bad line is a warning; nothing stops. */
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

#define LINE_MAX_LEN 4096
#define FILE_MAX (1 << 20)
#define WARN_MAX 20             /* per source; thousands of bad keys must not flood */

static char *trim(char *s, char *end)
{
	while (s < end && isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	return s;
}

/* One `key = value` line, already NUL-terminated and free of NULs. */
static void parse_line(struct config *c, char *line, const char *origin,
		       unsigned lineno, unsigned *warned)
{
	char *eq, *key, *val;
	size_t vl;
	int r;

	line = trim(line, line + strlen(line));
	if (!*line || *line == '#')
		return;
	eq = strchr(line, '=');
	if (!eq) {
		if ((*warned)++ < WARN_MAX)
			log_warn("%s:%u: expected key = value, ignoring line", origin, lineno);
		return;
	}
	key = trim(line, eq);
	val = trim(eq + 1, eq + 1 + strlen(eq + 1));
	vl = strlen(val);
	if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
		val[vl - 1] = '\0';
		val++;
	}
	r = config_set(c, key, val, SRC_FILE);
	if (r < 0 && (*warned)++ < WARN_MAX) {
		char where[PATH_MAX + 16];

		snprintf(where, sizeof(where), "%s:%u", origin, lineno);
		config_warn_set(c, r, where, key, val);
	}
}

void config_parse_buf(struct config *c, const char *buf, size_t len, const char *origin)
{
	char line[LINE_MAX_LEN + 1];
	size_t pos = 0;
	unsigned lineno = 0, warned = 0;

	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - (buf + pos)) : len - pos;

		lineno++;
		if (ll > LINE_MAX_LEN) {
			if (warned++ < WARN_MAX)
				log_warn("%s:%u: line longer than %d bytes, ignoring",
					 origin, lineno, LINE_MAX_LEN);
		} else if (memchr(buf + pos, '\0', ll)) {
			if (warned++ < WARN_MAX)
				log_warn("%s:%u: NUL byte in line, ignoring", origin, lineno);
		} else {
			memcpy(line, buf + pos, ll);
			line[ll] = '\0';
			parse_line(c, line, origin, lineno, &warned);
		}
		pos += ll + 1;
	}
	if (warned > WARN_MAX)
		log_warn("%s: %u more warnings suppressed", origin, warned - WARN_MAX);
}

int config_load_file(struct config *c, const char *path, bool named)
{
	struct stat st;
	char *buf;
	size_t len = 0;
	int fd;

	snprintf(c->file, sizeof(c->file), "%s", path);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;

		/* O_NOFOLLOW says ELOOP for any symlink: say what it is */
		if (e == ELOOP && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
			log_warn("%s: a symlink, ignoring it (the config must be a root-owned "
				 "regular file), using defaults", path);
		else if (e != ENOENT || named)
			log_warn("%s: %s, using defaults", path, strerror(e));
		return e == ENOENT && !named ? 0 : -e;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		log_warn("%s: not a regular file, ignoring it", path);
		close(fd);
		return -EINVAL;
	}
	/* the config decides what PID 1 runs */
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		log_warn("%s: not root-owned or writable by group or others, ignoring it", path);
		close(fd);
		return -EPERM;
	}
	buf = malloc(FILE_MAX);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (len < FILE_MAX) {
		ssize_t n = read(fd, buf + len, FILE_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (len == FILE_MAX)
		log_warn("%s: larger than %d bytes, reading only the start", path, FILE_MAX);
	close(fd);
	c->file_used = true;
	config_parse_buf(c, buf, len, path);
	free(buf);
	return 0;
}

/* Kernel command line words: shutdownfs.KEY=VALUE, quotes allowed. */
void config_parse_cmdline(struct config *c, const char *s, size_t len)
{
	char word[LINE_MAX_LEN + 1];
	size_t pos = 0;
	unsigned warned = 0;

	while (pos < len) {
		size_t wl = 0;
		bool quoted = false, skip = false;

		while (pos < len && (isspace((unsigned char)s[pos]) || s[pos] == '\0'))
			pos++;
		while (pos < len && s[pos] != '\0' && (quoted || !isspace((unsigned char)s[pos]))) {
			if (s[pos] == '"')
				quoted = !quoted;
			else if (wl < LINE_MAX_LEN)
				word[wl++] = s[pos];
			else
				skip = true;
			pos++;
		}
		word[wl] = '\0';
		if (skip || wl == 0 || strncmp(word, "shutdownfs.", 11) != 0)
			continue;
		{
			char *eq = strchr(word + 11, '=');
			int r;
			if (!eq) {
				if (warned++ < WARN_MAX)
					log_warn("kernel command line: '%.64s' has no value, ignoring", word);
				continue;
			}
			*eq = '\0';
			r = config_set(c, word + 11, eq + 1, SRC_CMDLINE);
			if (r < 0 && warned++ < WARN_MAX)
				config_warn_set(c, r, "kernel command line", word + 11, eq + 1);
		}
	}
}

int config_load_cmdline(struct config *c, const char *path)
{
	char buf[8192];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : 0;
	config_parse_cmdline(c, buf, (size_t)n);
	return 0;
}
