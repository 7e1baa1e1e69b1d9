/* report-run.c — the run's last words, after the summary and before
 * reboot(2): the record collected, kept across the reboot, the console's
 * glance, then the host told. Everything here is bounded and degrades. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "layers.h"
#include "log.h"
#include "report.h"
#include "scope.h"
#include "state.h"

/* kmsg stamps records with local_clock(), CLOCK_MONOTONIC within a few ms
 * on the machines we know; a second of slack keeps the run's first lines */
#define KMSG_SLACK_US 1000000ULL

static void collect(struct report *r, uint64_t start_us)
{
	const char *text;
	size_t len;

	report_init(r);
	r->time = (long long)time(NULL);
	/* every process of the run (PID 1, workers, the re-exec) writes to
	 * /dev/kmsg; in a child PID namespace it is the host's, and only what
	 * this process logged is ours */
	if (pidns_is_initial() &&
	    report_collect_kmsg(r, "/dev/kmsg", start_us > KMSG_SLACK_US ? start_us - KMSG_SLACK_US : 0) == 0 &&
	    r->nlines > 0)
		return;
	report_init(r);
	r->time = (long long)time(NULL);
	len = log_history(&text);
	report_add_text(r, text, len);
}

/* The glance: the layer lines again, then the summary, last, on the console
 * only (kmsg and the record have them above the store's lines); after it
 * only a failed notify logs, so nothing scrolls them away. */
static void glance(const struct layer_set *ls, const char *summary)
{
	char line[LAYER_KIND_MAX + LAYER_NAME_MAX + LAYER_OUTCOME_MAX + 32];
	unsigned i, n = layers_lines(ls);

	for (i = 0; i < n; i++)
		log_console("%s", layers_line(ls, i, line, sizeof(line)));
	if (summary)
		log_console("%s", summary + (strncmp(summary, "shutdownfs: ", 12) ? 0 : 12));
}

void report_finish(const struct config *c, const struct stats *st, uint64_t start_us)
{
	static struct report r;
	struct report_paths p;
	struct summary s;
	char line[REPORT_LINE_MAX];
	const char *sum;
	bool clean;

	collect(&r, start_us);
	sum = report_summary_line(&r, line, sizeof(line));
	clean = sum && summary_parse(sum, &s) == 0 && summary_is_clean(&s);
	report_paths_default(&p, c);
	if (c->report_routes)
		(void)report_store(c, &p, &r);
	glance(&state()->layers, sum);
	(void)notify_host(c, sum ? sum : "shutdownfs: summary result=unknown", clean);
}
