/* report.c — the run's record: its own log lines and the summary, bounded;
 * the one parser of the summary line. Used by the run and by `last`. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"

#define LINE_TAG "shutdownfs: "
#define SUMMARY_TAG "shutdownfs: summary "
#define KMSG_RECORDS_MAX 200000 /* the ring holds far fewer; a cap on the loop */

int summary_parse(const char *line, struct summary *s)
{
	const char *p = strstr(line, SUMMARY_TAG);

	memset(s, 0, sizeof(*s));
	if (!p)
		return -EINVAL;
	p += strlen(SUMMARY_TAG);
	while (*p && *p != '\n' && *p != '\r' && s->n < SUMMARY_FIELDS_MAX) {
		size_t kl, vl;
		const char *eq, *end;

		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strcspn(p, " \t\r\n");
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq && eq > p) {
			kl = (size_t)(eq - p);
			vl = (size_t)(end - eq - 1);
			if (kl < sizeof(s->f[0].key) && vl < sizeof(s->f[0].value)) {
				memcpy(s->f[s->n].key, p, kl);
				memcpy(s->f[s->n].value, eq + 1, vl);
				s->n++;
			}
		}
		p = end;
	}
	return summary_get(s, "result") ? 0 : -EINVAL;
}

const char *summary_get(const struct summary *s, const char *key)
{
	unsigned i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->f[i].key, key) == 0)
			return s->f[i].value;
	return NULL;
}

bool summary_is_clean(const struct summary *s)
{
	const char *r = summary_get(s, "result");

	return r && strcmp(r, "clean") == 0;
}

void report_init(struct report *r)
{
	memset(r, 0, sizeof(*r));
}

const char *report_line_text(const char *line)
{
	const char *p = line;

	if (*p == '<') {
		const char *q = p + 1;
		while (*q >= '0' && *q <= '9')
			q++;
		if (*q == '>')
			p = q + 1;
	}
	if (*p == '[') {
		const char *q = strchr(p, ']');
		if (q) {
			p = q + 1;
			while (*p == ' ')
				p++;
		}
	}
	return strncmp(p, LINE_TAG, strlen(LINE_TAG)) == 0 ? p : NULL;
}

/* drop the oldest line */
static void drop_first(struct report *r)
{
	char *nl = memchr(r->buf, '\n', r->len);
	size_t cut = nl ? (size_t)(nl - r->buf) + 1 : r->len;

	memmove(r->buf, r->buf + cut, r->len - cut);
	r->len -= cut;
	r->nlines--;
	r->dropped++;
}

void report_add_line(struct report *r, const char *line, size_t len)
{
	char tmp[REPORT_LINE_MAX];
	const char *t;

	if (len >= sizeof(tmp))
		len = sizeof(tmp) - 1;
	memcpy(tmp, line, len);
	tmp[len] = '\0';
	tmp[strcspn(tmp, "\r\n")] = '\0';
	t = report_line_text(tmp);
	if (!t)
		return;
	len = strlen(t);
	while (r->nlines > 0 && r->len + len + 1 > sizeof(r->buf))
		drop_first(r);
	if (r->len + len + 1 > sizeof(r->buf))
		return;
	memcpy(r->buf + r->len, t, len);
	r->len += len;
	r->buf[r->len++] = '\n';
	r->nlines++;
}

void report_add_text(struct report *r, const char *text, size_t len)
{
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - (text + pos)) : len - pos;

		report_add_line(r, text + pos, l);
		pos += l + 1;
	}
}

/* One /dev/kmsg record: "PRI,SEQ,TS_US,FLAGS;text\n" then dictionary lines. */
void report_add_kmsg_record(struct report *r, const char *rec, uint64_t since_us)
{
	const char *semi = strchr(rec, ';'), *p, *nl;

	if (!semi)
		return;
	p = strchr(rec, ',');                   /* after PRI */
	p = p ? strchr(p + 1, ',') : NULL;      /* after SEQ */
	if (!p || p > semi || strtoull(p + 1, NULL, 10) < since_us)
		return;
	nl = strchr(semi + 1, '\n');
	report_add_line(r, semi + 1, nl ? (size_t)(nl - semi - 1) : strlen(semi + 1));
}

/* One record per read. Non-blocking: the end of the ring is EAGAIN; EPIPE
 * means a record was overwritten while we read, the next read goes on. */
int report_collect_kmsg(struct report *r, const char *path, uint64_t since_us)
{
	char rec[8192];
	unsigned i;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	for (i = 0; i < KMSG_RECORDS_MAX; i++) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);

		if (n < 0 && (errno == EPIPE || errno == EINTR))
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		report_add_kmsg_record(r, rec, since_us);
	}
	close(fd);
	return 0;
}

const char *report_summary_line(const struct report *r, char *buf, size_t n)
{
	const char *p = r->buf, *end = r->buf + r->len, *last = NULL;
	size_t tl = strlen(SUMMARY_TAG), l;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (l >= tl && strncmp(p, SUMMARY_TAG, tl) == 0)
			last = p;
		p += l + 1;
	}
	if (!last || n == 0)
		return NULL;
	l = strcspn(last, "\n");
	if (l >= n)
		l = n - 1;
	memcpy(buf, last, l);
	buf[l] = '\0';
	return buf;
}

size_t report_render(const struct report *r, char *out, size_t max)
{
	const char *start = r->buf;
	size_t body = r->len, hdr;
	unsigned dropped = r->dropped;
	char head[96];

	if (max == 0)
		return 0;
	for (;;) {
		hdr = (size_t)snprintf(head, sizeof(head), "%s time=%lld dropped=%u\n",
				       REPORT_MAGIC, r->time, dropped);
		if (hdr + body + 1 <= max)
			break;
		/* leave out the oldest line; the last one (the summary) stays */
		const char *nl = memchr(start, '\n', body);
		if (!nl || (size_t)(nl - start) + 1 >= body) {
			/* one line left that does not fit: cut it */
			if (hdr + 1 >= max)
				return 0;
			body = max - hdr - 1;
			break;
		}
		body -= (size_t)(nl - start) + 1;
		start = nl + 1;
		dropped++;
	}
	memcpy(out, head, hdr);
	memcpy(out + hdr, start, body);
	out[hdr + body] = '\0';
	return hdr + body;
}

int report_parse_record(struct report *r, const char *text, size_t len)
{
	size_t ml = strlen(REPORT_MAGIC);

	report_init(r);
	if (len >= ml && memcmp(text, REPORT_MAGIC, ml) == 0) {
		const char *nl = memchr(text, '\n', len);
		char head[128];
		size_t hl = nl ? (size_t)(nl - text) : len;
		const char *p;

		if (hl >= sizeof(head))
			hl = sizeof(head) - 1;
		memcpy(head, text, hl);
		head[hl] = '\0';
		p = strstr(head, " time=");
		if (p)
			r->time = strtoll(p + 6, NULL, 10);
		p = strstr(head, " dropped=");
		if (p)
			r->dropped = (unsigned)strtoul(p + 9, NULL, 10);
		if (!nl)
			return -EINVAL;
		len -= (size_t)(nl + 1 - text);
		text = nl + 1;
	}
	/* a raw device is padded with NULs */
	len = strnlen(text, len);
	report_add_text(r, text, len);
	return r->nlines ? 0 : -ENOENT;
}
