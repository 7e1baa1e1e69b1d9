/* report.h — the run's record (summary + its own log lines), kept across the
 * reboot (pstore, an EFI variable, a raw device), told to the host (notify),
 * and read back after the next boot by `shutdownfs last`. */
#ifndef REPORT_H
#define REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

#define REPORT_MAX 16384         /* a record's lines, newest kept */
#define REPORT_EFIVAR_MAX 2048   /* the EFI variable: NVRAM is small and wears */
#define REPORT_FILE_MAX 65536    /* what `last` reads of a raw device or file */
#define REPORT_LINE_MAX 1024
#define REPORT_MAGIC "shutdownfs-report 1"
/* our own vendor GUID for the EFI variable; random, not a registered one */
#define REPORT_EFIVAR_NAME "ShutdownfsReport-8f3c2a71-5d4e-4b9a-a6c1-2e7f90b3d418"

/* The summary line, parsed: every KEY=VALUE in the order of the line, so
 * fields added later are carried without a change here. */
#define SUMMARY_FIELDS_MAX 40
struct summary_field {
	char key[24];
	char value[40];
};
struct summary {
	unsigned n;
	struct summary_field f[SUMMARY_FIELDS_MAX];
};

/* "... shutdownfs: summary k=v k=v ..." (any prefix). 0, or -EINVAL when
 * the line is no summary or has no result=. The one parser of the line. */
int summary_parse(const char *line, struct summary *ret);
const char *summary_get(const struct summary *s, const char *key);
bool summary_is_clean(const struct summary *s);

/* The lines of one run, "shutdownfs: ..." each, oldest dropped first. */
struct report {
	char buf[REPORT_MAX];
	size_t len;
	unsigned nlines;
	unsigned dropped;       /* lines left out to stay bounded */
	long long time;         /* wall clock of the run's end, 0 if unknown */
};

void report_init(struct report *r);
/* Strip a kmsg/pstore prefix ("<5>", "[   12.345678] ") and return the text
 * if it is one of our lines ("shutdownfs: ..."), else NULL. */
const char *report_line_text(const char *line);
/* Keep the line if it is ours (report_line_text); drop the oldest to fit. */
void report_add_line(struct report *r, const char *line, size_t len);
/* Offer every line of text (pstore dump, archive, own log history). */
void report_add_text(struct report *r, const char *text, size_t len);
void report_add_kmsg_record(struct report *r, const char *rec, uint64_t since_us);
/* Our lines of /dev/kmsg logged at or after since_us (CLOCK_MONOTONIC, the
 * clock kmsg stamps records with): every process of the run writes there. */
int report_collect_kmsg(struct report *r, const char *path, uint64_t since_us);
/* The last summary among the lines, or NULL. */
const char *report_summary_line(const struct report *r, char *buf, size_t n);
/* Header + the newest lines that fit in max bytes (the summary, the last
 * line, always). Returns the length written, NUL included in max. */
size_t report_render(const struct report *r, char *out, size_t max);
/* Parse a rendered record (header optional) back into r. */
int report_parse_record(struct report *r, const char *text, size_t len);

/* Routes (report-store.c): paths are parameters so fixtures stand in. */
struct report_paths {
	const char *sys;        /* "/sys" */
	const char *efivars;    /* "/sys/firmware/efi/efivars" */
	const char *pstore;     /* "/sys/fs/pstore", for `last` */
	const char *archive;    /* "/var/lib/systemd/pstore", for `last` */
	const char *file;       /* report_file, "" when unset */
};
void report_paths_default(struct report_paths *p, const struct config *c);
/* Will the kernel keep a kmsg dump at reboot(2)? With apply, sets what can
 * be set at run time (printk.always_kmsg_dump for a backend with no
 * max_reason); without, changes nothing (plan). */
bool report_pstore_ready(const char *sys, bool apply, char *why, size_t n);
/* Could a run keep its record, by any configured route? Changes nothing. */
bool report_route_possible(const struct config *c, const struct report_paths *p,
			   char *why, size_t n);
int report_efivar_write(const char *efivars, const char *rec, size_t len);
int report_file_write(const char *path, const char *rec, size_t len);
/* Store r by the first configured route that works; logs which. Returns
 * the route's name or NULL. */
const char *report_store(const struct config *c, const struct report_paths *p,
			 const struct report *r);

/* notify.c: one line to the host, bounded; value from the `notify` key. */
int notify_host(const struct config *c, const char *summary_line, bool clean);
/* The vmm.notify_socket address from the kernel command line or SMBIOS
 * type 11 (systemd's credential); 0 or -ENOENT. */
int notify_vmm_address(const char *cmdline_path, const char *dmi_dir, char *ret, size_t n);

/* The one call of the run: collect, console glance, store, notify. */
void report_finish(const struct config *c, const struct stats *st, uint64_t start_us);

/* `shutdownfs last`: 0 clean, 1 degraded, 2 nothing found. */
struct last_opts {
	bool json;
	bool clear;
};
int last_run(const struct report_paths *p, const struct last_opts *o, FILE *out);

#endif
