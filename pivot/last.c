/* last.c — `shutdownfs last [--json] [--clear]`, any user, after the boot:
 * the newest record of a run found in pstore (/sys/fs/pstore), systemd-pstore's
 * archive (/var/lib/systemd/pstore), the EFI variable or report_file.
 * Exit 0 clean, 1 degraded, 2 nothing found. Removes nothing unless --clear. */
#include <blkid/blkid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "report.h"

#define DUMP_MAX (256 * 1024)   /* a pstore record is far smaller */
#define WALK_DEPTH 3
#define WALK_FILES 512

struct found {
	const char *source;     /* pstore | archive | efivar | file */
	char path[1024];
	long long time;
	struct report r;
};

static struct found best, cand;
static char dump[DUMP_MAX + 1];

static ssize_t read_file(const char *path, size_t max)
{
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	while ((size_t)total < max && (n = read(fd, dump + total, max - (size_t)total)) > 0)
		total += n;
	close(fd);
	dump[total] = '\0';
	return total;
}

/* A kernel dump holds the tail of the whole log: our lines from the run's
 * first one (stage 1 or exitrd) on; earlier ones (another run, `plan`) go. */
static void cut_to_run_start(struct report *r)
{
	static const char *const marks[] = { ": stage 1 on the old root", ": exitrd, the old root is at " };
	const char *p = r->buf, *end = r->buf + r->len, *start = NULL;
	unsigned before = 0, i = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char line[REPORT_LINE_MAX];

		snprintf(line, sizeof(line), "%.*s", (int)l, p);
		if (strstr(line, marks[0]) || strstr(line, marks[1]))
			start = p, before = i;
		p += l + 1;
		i++;
	}
	if (!start || start == r->buf)
		return;
	r->len -= (size_t)(start - r->buf);
	memmove(r->buf, start, r->len);
	r->nlines -= before;
}

static void consider(const char *source, const char *path, long long t)
{
	char line[REPORT_LINE_MAX];

	if (!report_summary_line(&cand.r, line, sizeof(line)))
		return;
	if (best.source && best.time >= t)
		return;
	cand.source = source;
	snprintf(cand.path, sizeof(cand.path), "%s", path);
	cand.time = t;
	best = cand;
}

static void try_dump(const char *source, const char *path, const struct stat *st)
{
	ssize_t n = read_file(path, DUMP_MAX);

	if (n <= 0)
		return;
	report_init(&cand.r);
	report_add_text(&cand.r, dump, (size_t)n);
	cut_to_run_start(&cand.r);
	cand.r.time = (long long)st->st_mtime;
	consider(source, path, (long long)st->st_mtime);
}

/* dmesg-* files (pstore names them dmesg-BACKEND-ID; systemd-pstore keeps
 * them per record directory and joins them into dmesg.txt) */
static void walk(const char *source, const char *dir, int depth, unsigned *budget)
{
	char path[1024];
	struct dirent *e;
	struct stat st;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d)) && *budget > 0) {
		size_t l = strlen(e->d_name);

		if (e->d_name[0] == '.')
			continue;
		(*budget)--;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode) && depth > 0)
			walk(source, path, depth - 1, budget);
		else if (S_ISREG(st.st_mode) && strncmp(e->d_name, "dmesg", 5) == 0 &&
			 !(l > 6 && strcmp(e->d_name + l - 6, ".enc.z") == 0))
			try_dump(source, path, &st);
	}
	closedir(d);
}

static void try_record(const char *source, const char *path, size_t skip)
{
	ssize_t n = read_file(path, REPORT_FILE_MAX);

	if (n <= (ssize_t)skip || memcmp(dump + skip, REPORT_MAGIC, strlen(REPORT_MAGIC)) != 0)
		return;
	if (report_parse_record(&cand.r, dump + skip, (size_t)n - skip) < 0)
		return;
	consider(source, path, cand.r.time);
}

static void find_all(const struct report_paths *p)
{
	char path[1024];
	unsigned budget = WALK_FILES;
	char *dev = NULL;

	memset(&best, 0, sizeof(best));
	walk("pstore", p->pstore, 0, &budget);
	budget = WALK_FILES;
	walk("archive", p->archive, WALK_DEPTH, &budget);
	snprintf(path, sizeof(path), "%s/%s", p->efivars, REPORT_EFIVAR_NAME);
	try_record("efivar", path, 4);          /* efivarfs: 4 bytes of attributes first */
	if (p->file && p->file[0]) {
		if (p->file[0] != '/')
			dev = blkid_evaluate_tag(p->file, NULL, NULL);
		try_record("file", dev ? dev : p->file, 0);
		free(dev);
	}
}

static int clear(const struct found *f)
{
	char zero[512] = { 0 };
	int fd, flags, r = 0;

	if (strcmp(f->source, "file") == 0) {
		fd = open(f->path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || pwrite(fd, zero, sizeof(zero), 0) != (ssize_t)sizeof(zero))
			r = -errno;
		if (fd >= 0)
			close(fd);
		return r;
	}
	fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & FS_IMMUTABLE_FL)) {
			flags &= ~FS_IMMUTABLE_FL;
			(void)ioctl(fd, FS_IOC_SETFLAGS, &flags);
		}
		close(fd);
	}
	return unlink(f->path) < 0 ? -errno : 0;
}

static bool all_digits(const char *v)
{
	if (!*v)
		return false;
	for (; *v; v++)
		if (*v < '0' || *v > '9')
			return false;
	return true;
}

static void print_json(FILE *out, const struct found *f, const struct summary *s)
{
	struct json j;
	const char *p, *end;
	unsigned i;

	json_init(&j, out);
	json_open(&j, NULL, '{');
	json_str(&j, "version", SHUTDOWNFS_VERSION);
	json_bool(&j, "found", f != NULL);
	json_str(&j, "source", f ? f->source : NULL);
	json_str(&j, "path", f ? f->path : NULL);
	if (f && f->time)
		json_int(&j, "time", f->time);
	else
		json_null(&j, "time");
	if (f) {
		json_open(&j, "summary", '{');
		for (i = 0; i < s->n; i++) {
			if (all_digits(s->f[i].value))
				json_uint(&j, s->f[i].key, strtoull(s->f[i].value, NULL, 10));
			else
				json_str(&j, s->f[i].key, s->f[i].value);
		}
		json_close(&j, '}');
	} else {
		json_null(&j, "summary");
	}
	json_open(&j, "lines", '[');
	for (p = f ? f->r.buf : "", end = p + (f ? f->r.len : 0); p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char line[REPORT_LINE_MAX];

		snprintf(line, sizeof(line), "%.*s", (int)l, p);
		json_str(&j, NULL, line);
		p += l + 1;
	}
	json_close(&j, ']');
	json_uint(&j, "lines_dropped", f ? f->r.dropped : 0);
	json_close(&j, '}');
}

static void print_text(FILE *out, const struct found *f, const struct summary *s)
{
	char when[64] = "time unknown";
	const char *p, *end;
	time_t t = (time_t)f->time;
	struct tm tm;

	if (t && gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	fprintf(out, "shutdownfs last: the last run, from %s %s (%s)\n", f->source, f->path, when);
	if (f->r.dropped)
		fprintf(out, "  ... %u older lines were left out to keep the record small\n",
			f->r.dropped);
	for (p = f->r.buf, end = p + f->r.len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

		fprintf(out, "  %.*s\n", (int)l, p);
		p += l + 1;
	}
	fprintf(out, "result: %s\n", summary_get(s, "result"));
}

int last_run(const struct report_paths *p, const struct last_opts *o, FILE *out)
{
	struct summary s;
	char line[REPORT_LINE_MAX];
	int r;

	find_all(p);
	if (!best.source) {
		if (o->json)
			print_json(out, NULL, NULL);
		else
			fprintf(out, "shutdownfs last: no record of a previous run found (looked in %s, "
				"%s, %s/%s%s%s)\n", p->pstore, p->archive, p->efivars,
				REPORT_EFIVAR_NAME, p->file && p->file[0] ? ", " : "",
				p->file ? p->file : "");
		fflush(out);
		return 2;
	}
	(void)report_summary_line(&best.r, line, sizeof(line));
	(void)summary_parse(line, &s);
	if (o->json)
		print_json(out, &best, &s);
	else
		print_text(out, &best, &s);
	fflush(out);
	if (o->clear) {
		r = clear(&best);
		if (r < 0)
			fprintf(stderr, "shutdownfs last: cannot clear %s: %s\n", best.path, strerror(-r));
	}
	return summary_is_clean(&s) ? 0 : 1;
}
