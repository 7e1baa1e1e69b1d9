/* modules.c — libkmod glue, stage 1: load what later steps need (softdog,
 * `preload`) while /lib/modules of the old root is still reachable. */
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libkmod.h>

#include "log.h"
#include "modules.h"

static void kmod_log(void *data, int priority, const char *file, int line,
		     const char *fn, const char *format, va_list args)
{
	char buf[512];
	int n = vsnprintf(buf, sizeof(buf), format, args);

	if (n > 0 && (size_t)n < sizeof(buf) && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	/* syslog priorities, which log_level mirrors */
	if (priority < LOG_LVL_ERR)
		priority = LOG_LVL_ERR;
	if (priority > LOG_LVL_DEBUG)
		priority = LOG_LVL_DEBUG;
	log_msg((enum log_level)priority, "kmod: %s", buf);
}

/* modprobe.d `install` lines would run a shell from PID 1, unbounded; they
 * are mostly used to keep a module out (install foo /bin/false), so a
 * module that has one is not loaded. */
static int kmod_refuse_install(struct kmod_module *m, const char *cmdline, void *data)
{
	log_warn("module %s: has an install command (%s), not loading it",
		 kmod_module_get_name(m), cmdline);
	return -EPERM;
}

/* many: several lookups to come. The indexes are mapped once for them; a
 * single lookup by name opens only modules.dep.bin and modules.builtin.bin
 * itself, where mapping all of them would read four more files from the
 * old root (tens of ms through dm-crypt under TCG). */
static struct kmod_ctx *kmod_open(bool many)
{
	struct kmod_ctx *ctx = kmod_new(NULL, NULL);

	if (!ctx) {
		log_warn("kmod: no module directory, not loading modules");
		return NULL;
	}
	kmod_set_log_fn(ctx, kmod_log, NULL);
	kmod_set_log_priority(ctx, log_is_verbose() ? LOG_LVL_INFO : LOG_LVL_WARN);
	/* without the indexes lookups are slower, not wrong */
	if (many)
		(void)kmod_load_resources(ctx);
	return ctx;
}

static int modules_load_ctx(struct kmod_ctx *ctx, const char *name)
{
	struct kmod_list *list = NULL, *l;
	int r, bad = 0;

	r = kmod_module_new_from_lookup(ctx, name, &list);
	if (r < 0 || !list) {
		log_warn("module %s: not found", name);
		return r < 0 ? r : -ENOENT;
	}
	kmod_list_foreach(l, list) {
		struct kmod_module *m = kmod_module_get_module(l);
		const char *mn = kmod_module_get_name(m);
		int state = kmod_module_get_initstate(m);

		if (state == KMOD_MODULE_BUILTIN || state == KMOD_MODULE_LIVE) {
			log_debug("module %s: already there", mn);
			kmod_module_unref(m);
			continue;
		}
		r = kmod_module_probe_insert_module(m, KMOD_PROBE_APPLY_BLACKLIST, NULL,
						    kmod_refuse_install, NULL, NULL);
		if (r == KMOD_PROBE_APPLY_BLACKLIST) {
			log_warn("module %s: blacklisted, not loading it", mn);
			bad = -EPERM;
		} else if (r < 0) {
			log_warn("module %s: %s", mn, strerror(-r));
			bad = r;
		} else {
			log_info("module %s: loaded", mn);
		}
		kmod_module_unref(m);
	}
	kmod_module_unref_list(list);
	return bad;
}

int modules_load(const char *name)
{
	struct kmod_ctx *ctx = kmod_open(false);
	int r;

	if (!ctx)
		return -ENOENT;
	r = modules_load_ctx(ctx, name);
	kmod_unref(ctx);
	return r;
}

int modules_preload(const struct config *c)
{
	struct kmod_ctx *ctx;
	unsigned i;
	int failed = 0;

	if (!c->npreload)
		return 0;
	ctx = kmod_open(c->npreload > 1);
	if (!ctx)
		return (int)c->npreload;
	for (i = 0; i < c->npreload; i++)
		if (modules_load_ctx(ctx, c->preload[i]) < 0)
			failed++;
	kmod_unref(ctx);
	return failed;
}
