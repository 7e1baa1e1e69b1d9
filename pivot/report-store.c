/* report-store.c — where the record survives the reboot, in order of
 * preference: pstore (the kernel's own kmsg dump at reboot(2)), an EFI
 * variable, a raw device or file. Detected at run time, said in the log. */
#include <blkid/blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "log.h"
#include "report.h"
#include "scope.h"
#include "spawn.h"
#include "sysfs.h"

#define STORE_TIMEOUT_MS 3000
#define KMSG_DUMP_SHUTDOWN 4    /* include/linux/kmsg_dump.h: after PANIC, OOPS, EMERG */
/* EFI_VARIABLE_NON_VOLATILE | BOOTSERVICE_ACCESS | RUNTIME_ACCESS */
#define EFIVAR_ATTRS 0x7u
#define EFIVARFS_MAGIC 0xde5e81e4u      /* include/uapi/linux/magic.h */

void report_paths_default(struct report_paths *p, const struct config *c)
{
	p->sys = "/sys";
	p->efivars = "/sys/firmware/efi/efivars";
	p->pstore = "/sys/fs/pstore";
	p->archive = "/var/lib/systemd/pstore";
	p->file = c->report_file;
}

static int param_read(const char *sys, const char *mod, const char *name, char *buf, size_t n)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/module/%s/parameters/%s", sys, mod, name);
	if (sysfs_read(path, buf, n) < 0)
		return -ENOENT;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* ramoops: max_reason, else the deprecated dump_oops, else KMSG_DUMP_OOPS
 * (fs/pstore/ram.c); 0400 parameters, set when the module loads. */
static int ramoops_max_reason(const char *sys)
{
	char v[32];
	int m;

	if (param_read(sys, "ramoops", "max_reason", v, sizeof(v)) < 0)
		return -1;
	m = atoi(v);
	if (m >= 0)
		return m;
	if (param_read(sys, "ramoops", "dump_oops", v, sizeof(v)) == 0 && atoi(v) == 0)
		return 1;
	return 2;
}

static int file_put(const char *path, const char *v)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, v, strlen(v)) < 0)
		r = -errno;
	close(fd);
	return r;
}

bool report_pstore_ready(const char *sys, bool apply, char *why, size_t n)
{
	char backend[64], v[32], path[512];
	int m;

	if (param_read(sys, "pstore", "backend", backend, sizeof(backend)) < 0 || !backend[0] ||
	    strcmp(backend, "(null)") == 0) {
		snprintf(why, n, "no backend registered");
		return false;
	}
	if (strncmp(backend, "efi", 3) == 0) {
		/* efi-pstore would write ~10 KiB of kmsg to NVRAM at every
		 * shutdown; the efivar route writes one small record instead */
		snprintf(why, n, "backend %s writes NVRAM at every dump, not used (report = efivar "
			 "writes one small variable)", backend);
		return false;
	}
	m = strcmp(backend, "ramoops") == 0 ? ramoops_max_reason(sys) : -1;
	if (m < 0 && param_read(sys, backend, "max_reason", v, sizeof(v)) == 0)
		m = atoi(v);
	if (m >= KMSG_DUMP_SHUTDOWN) {
		snprintf(why, n, "%s keeps the kernel log at reboot (max_reason=%d)", backend, m);
		return true;
	}
	if (m > 0) {
		snprintf(why, n, "%s keeps only oops and panic dumps (max_reason=%d; load it with "
			 "%s.max_reason=%d)", backend, m, backend, KMSG_DUMP_SHUTDOWN);
		return false;
	}
	/* no max_reason of its own: kmsg_dump() then follows always_kmsg_dump,
	 * which is writable at run time */
	snprintf(path, sizeof(path), "%s/module/printk/parameters/always_kmsg_dump", sys);
	if (!apply) {
		snprintf(why, n, "%s keeps the kernel log at reboot once the run sets "
			 "printk.always_kmsg_dump", backend);
		return true;
	}
	if (file_put(path, "Y") < 0) {
		snprintf(why, n, "%s: cannot set printk.always_kmsg_dump", backend);
		return false;
	}
	snprintf(why, n, "%s keeps the kernel log at reboot (printk.always_kmsg_dump set)", backend);
	return true;
}

struct store_args {
	const char *path;
	const char *rec;
	size_t len;
};

/* efivarfs marks variables immutable; a variable is replaced by unlink and
 * a fresh create, written in one write() (attributes first) */
static int efivar_child(void *p)
{
	const struct store_args *a = p;
	char buf[4 + REPORT_EFIVAR_MAX];
	uint32_t attrs = EFIVAR_ATTRS;
	int fd, flags;
	ssize_t w;

	fd = open(a->path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & FS_IMMUTABLE_FL)) {
			flags &= ~FS_IMMUTABLE_FL;
			(void)ioctl(fd, FS_IOC_SETFLAGS, &flags);
		}
		close(fd);
		if (unlink(a->path) < 0)
			return -errno;
	}
	memcpy(buf, &attrs, 4);
	memcpy(buf + 4, a->rec, a->len);
	fd = open(a->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	w = write(fd, buf, 4 + a->len);
	if (w < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return close(fd) < 0 ? -errno : 0;
}

int report_efivar_write(const char *efivars, const char *rec, size_t len)
{
	char path[512];
	struct store_args a;
	struct stat st;

	if (len > REPORT_EFIVAR_MAX)
		return -E2BIG;
	if (stat(efivars, &st) < 0)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/" REPORT_EFIVAR_NAME, efivars);
	/* the ramfs has a fresh sysfs: efivarfs is not mounted there yet */
	if (strcmp(efivars, "/sys/firmware/efi/efivars") == 0) {
		struct statfs sf;
		if (statfs(efivars, &sf) < 0 || (unsigned)sf.f_type != EFIVARFS_MAGIC)
			if (mount("efivarfs", efivars, "efivarfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
				  NULL) < 0)
				return errno == ENODEV ? -ENOENT : -errno;
	}
	a.path = path;
	a.rec = rec;
	a.len = len;
	return spawn_call(efivar_child, &a, STORE_TIMEOUT_MS, "efivar " REPORT_EFIVAR_NAME);
}

/* A block device or file that holds nothing but zeros or an older record:
 * never overwrite a filesystem someone pointed us at by mistake. */
static int file_child(void *p)
{
	const struct store_args *a = p;
	static char buf[REPORT_FILE_MAX];
	size_t len = (a->len + 512) & ~(size_t)511, i;
	ssize_t n;
	int fd = open(a->path, O_RDWR | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	n = pread(fd, buf, 512, 0);
	if (n > 0 && memcmp(buf, REPORT_MAGIC, strlen(REPORT_MAGIC)) != 0) {
		for (i = 0; i < (size_t)n && buf[i] == 0; i++)
			;
		if (i < (size_t)n) {
			close(fd);
			return -EEXIST;
		}
	}
	memset(buf, 0, len);
	memcpy(buf, a->rec, a->len);
	n = pwrite(fd, buf, len, 0);
	if (n < 0 || (size_t)n != len || fsync(fd) < 0) {
		int e = n < 0 ? errno : EIO;
		close(fd);
		return -e;
	}
	return close(fd) < 0 ? -errno : 0;
}

int report_file_write(const char *path, const char *rec, size_t len)
{
	struct store_args a = { path, rec, len };
	char *dev = NULL;
	int r;

	if (len >= REPORT_FILE_MAX)
		return -E2BIG;
	/* LABEL=, PARTLABEL=, UUID=, PARTUUID= through libblkid */
	if (path[0] != '/') {
		dev = blkid_evaluate_tag(path, NULL, NULL);
		if (!dev)
			return -ENODEV;
		a.path = dev;
	}
	r = spawn_call(file_child, &a, STORE_TIMEOUT_MS, a.path);
	free(dev);
	return r;
}

static const char *store_error(int r)
{
	if (r == SPAWN_TIMEOUT)
		return "timed out";
	if (r == -EEXIST)
		return "holds something else, not overwritten (zero its first 512 bytes to use it)";
	return strerror(-r);
}

const char *report_store(const struct config *c, const struct report_paths *p,
			 const struct report *r)
{
	static char rec[REPORT_FILE_MAX];
	char why[256];
	size_t len;
	int e;
	/* a test namespace shares the host's kernel and firmware: its dump
	 * settings and NVRAM are not ours to touch; report_file, named, is */
	bool host = pidns_is_initial();

	if ((c->report_routes & (REPORT_ROUTE_PSTORE | REPORT_ROUTE_EFIVAR)) && !host)
		log_info("report: pstore and efivar skipped in a child PID namespace");
	if ((c->report_routes & REPORT_ROUTE_PSTORE) && host) {
		if (report_pstore_ready(p->sys, true, why, sizeof(why))) {
			log_info("report: pstore, %s", why);
			return "pstore";
		}
		log_info("report: pstore: %s", why);
	}
	if ((c->report_routes & REPORT_ROUTE_EFIVAR) && host) {
		len = report_render(r, rec, REPORT_EFIVAR_MAX);
		e = report_efivar_write(p->efivars, rec, len);
		if (e == 0) {
			log_info("report: efivar %s, %zu bytes (one NVRAM write)", REPORT_EFIVAR_NAME, len);
			return "efivar";
		}
		log_info("report: efivar: %s", e == -ENOENT ? "no efivarfs" : store_error(e));
	}
	if ((c->report_routes & REPORT_ROUTE_FILE) && p->file && p->file[0]) {
		len = report_render(r, rec, REPORT_FILE_MAX - 512);
		e = report_file_write(p->file, rec, len);
		if (e == 0) {
			log_info("report: %s, %zu bytes", p->file, len);
			return "file";
		}
		log_warn("report: %s: %s", p->file, store_error(e));
	}
	log_info("report: not kept across the reboot (no route works; see shutdownfs.conf(5))");
	return NULL;
}

bool report_route_possible(const struct config *c, const struct report_paths *p,
			   char *why, size_t n)
{
	struct stat st;

	snprintf(why, n, "report = off");
	if ((c->report_routes & REPORT_ROUTE_PSTORE) && report_pstore_ready(p->sys, false, why, n))
		return true;
	if ((c->report_routes & REPORT_ROUTE_EFIVAR) && stat(p->efivars, &st) == 0)
		return true;
	if ((c->report_routes & REPORT_ROUTE_FILE) && p->file && p->file[0])
		return true;
	if (c->report_routes & REPORT_ROUTE_EFIVAR)
		snprintf(why, n, "no %s", p->efivars);
	return false;
}
