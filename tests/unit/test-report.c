/* test-report.c — the run's record (bounded, only our lines), the summary
 * parser, the routes on fixture trees, `last` on fixture pstore,
 * systemd-pstore and efivar directories with its exit codes 0/1/2. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "config.h"
#include "fixture-path.h"
#include "harness.h"
#include "notify.h"
#include "report.h"

#define SUM_CLEAN "shutdownfs: summary action=poweroff result=clean unmounted=9 ro=0 detached=0 left=0 ms=38"

static struct report r, back;
static char out[REPORT_FILE_MAX];

static void t_summary_parse(void)
{
	struct summary s;

	CHECK_EQ_INT(summary_parse("<5>[ 1.0] " SUM_CLEAN, &s), 0);
	CHECK_STR(summary_get(&s, "action"), "poweroff");
	CHECK_STR(summary_get(&s, "unmounted"), "9");
	CHECK_STR(summary_get(&s, "ms"), "38");
	CHECK(summary_is_clean(&s));
	CHECK_STR(s.f[0].key, "action");        /* order of the line */
	CHECK(summary_get(&s, "md") == NULL);
	CHECK_EQ_INT(summary_parse("shutdownfs: summary action=halt result=degraded ro=1\r\n", &s), 0);
	CHECK(!summary_is_clean(&s));
	CHECK_STR(summary_get(&s, "ro"), "1");
	/* no summary, no result, garbage */
	CHECK_EQ_INT(summary_parse("shutdownfs: umount /oldroot: done", &s), -EINVAL);
	CHECK_EQ_INT(summary_parse("shutdownfs: summary action=halt ro=1", &s), -EINVAL);
	CHECK_EQ_INT(summary_parse("shutdownfs: summary ==== = result=clean x", &s), 0);
	CHECK(summary_is_clean(&s));
}

static void t_foreign_lines(void)
{
	static const char text[] =
		"<6>[    4.6] EXT4-fs (vda): unmounting filesystem.\n"
		"vmtest: exec stage4=shutdownfs\n"
		"<6>[    4.7] shutdownfs: umount /oldroot: done\n"
		"  shutdownfs: indented is not ours\n"
		"xshutdownfs: not ours either\n"
		"shutdownfs: plain, from our own log\n";

	report_init(&r);
	report_add_text(&r, text, sizeof(text) - 1);
	CHECK_EQ_INT(r.nlines, 2);
	CHECK_STR(r.buf, "shutdownfs: umount /oldroot: done\nshutdownfs: plain, from our own log\n");
	/* kmsg records: only ours, only from the run's start on */
	report_init(&r);
	report_add_kmsg_record(&r, "6,100,3999999,-;shutdownfs: before the run\n", 4000000);
	report_add_kmsg_record(&r, "6,101,4000001,-;shutdownfs: in the run\n SUBSYSTEM=x\n", 4000000);
	report_add_kmsg_record(&r, "6,102,4000002,-;md: md0 stopped.\n", 4000000);
	report_add_kmsg_record(&r, "garbage without a semicolon", 0);
	CHECK_STR(r.buf, "shutdownfs: in the run\n");
}

static void t_bounded(void)
{
	char line[200], sum[REPORT_LINE_MAX];
	size_t len;
	int i;

	report_init(&r);
	for (i = 0; i < 2000; i++) {
		snprintf(line, sizeof(line), "<6>[ 1.%06d] shutdownfs: step %d of a long run", i, i);
		report_add_line(&r, line, strlen(line));
	}
	report_add_line(&r, SUM_CLEAN, strlen(SUM_CLEAN));
	CHECK(r.len <= REPORT_MAX);
	CHECK(r.dropped > 0);
	CHECK_EQ_INT(r.nlines + r.dropped, 2001);
	CHECK(strstr(r.buf, "step 1999 of") != NULL);
	CHECK(strstr(r.buf, "step 0 of") == NULL);
	CHECK_STR(report_summary_line(&r, sum, sizeof(sum)), SUM_CLEAN);
	/* the EFI variable's bound: header, newest lines, the summary last */
	r.time = 1796000000;
	len = report_render(&r, out, REPORT_EFIVAR_MAX);
	CHECK(len > 0 && len < REPORT_EFIVAR_MAX);
	CHECK_EQ_INT(strlen(out), len);
	CHECK(strncmp(out, REPORT_MAGIC " time=1796000000 dropped=",
		      strlen(REPORT_MAGIC " time=1796000000 dropped=")) == 0);
	CHECK(strstr(out, SUM_CLEAN "\n") == out + len - strlen(SUM_CLEAN) - 1);
	CHECK_EQ_INT(report_parse_record(&back, out, len), 0);
	CHECK_EQ_INT(back.time, 1796000000);
	CHECK(back.dropped > r.dropped);
	CHECK_EQ_INT(back.nlines + back.dropped, 2001);
	CHECK_STR(report_summary_line(&back, sum, sizeof(sum)), SUM_CLEAN);
}

/* a temp dir with files of the given fixtures, their mtimes set */
static char tmp[PATH_MAX];

static void mk_tmp(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/sdfs-report-XXXXXX");
	CHECK(mkdtemp(tmp) != NULL);
	snprintf(fixture_tmp, sizeof(fixture_tmp), "%s", tmp);
}

static void copy_fixture(const char *name)
{
	char cmd[3 * PATH_MAX];

	snprintf(cmd, sizeof(cmd), "cp -a '%s/report/%s' '%s/'", fixtures_dir(), name, tmp);
	CHECK(system(cmd) == 0);
}

static void set_mtime(const char *rel, long t)
{
	char path[PATH_MAX];
	struct timeval tv[2] = { { t, 0 }, { t, 0 } };

	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	CHECK(utimes(path, tv) == 0);
}

static struct report_paths paths(const char *pstore, const char *archive, const char *efivars,
				 const char *file)
{
	static char buf[4][PATH_MAX];
	struct report_paths p;

	snprintf(buf[0], PATH_MAX, "%s/%s", tmp, pstore);
	snprintf(buf[1], PATH_MAX, "%s/%s", tmp, archive);
	snprintf(buf[2], PATH_MAX, "%s/%s", tmp, efivars);
	snprintf(buf[3], PATH_MAX, "%s/%s", tmp, file);
	p.sys = tmp;
	p.pstore = buf[0];
	p.archive = buf[1];
	p.efivars = buf[2];
	p.file = file[0] ? buf[3] : "";
	return p;
}

static int last_to_buf(const struct report_paths *p, bool json, bool clear)
{
	struct last_opts o = { json, clear };
	FILE *f = fmemopen(out, sizeof(out), "w");
	int rc;

	CHECK(f != NULL);
	rc = last_run(p, &o, f);
	fclose(f);
	return rc;
}

static void t_last_nothing(void)
{
	struct report_paths p;

	mk_tmp();
	p = paths("pstore", "archive", "efivars", "");
	CHECK_EQ_INT(last_to_buf(&p, false, false), 2);
	CHECK(strstr(out, "no record of a previous run found") != NULL);
	CHECK_EQ_INT(last_to_buf(&p, true, false), 2);
	CHECK(strstr(out, "\"found\": false") != NULL);
	CHECK(strstr(out, "\"summary\": null") != NULL);
	fixture_cleanup();
}

static void t_last_pstore(void)
{
	struct report_paths p;

	mk_tmp();
	copy_fixture("pstore-ramoops");
	set_mtime("pstore-ramoops/dmesg-ramoops-0", 1796000000);
	p = paths("pstore-ramoops", "none", "none", "");
	CHECK_EQ_INT(last_to_buf(&p, false, false), 0);
	CHECK(strstr(out, "from pstore ") != NULL);
	CHECK(strstr(out, "\n  " "shutdownfs: summary action=poweroff result=clean unmounted=4") != NULL);
	/* the run starts at its stage 1 line: the earlier `plan` and kernel lines go */
	CHECK(strstr(out, "plan: what a run") == NULL);
	CHECK(strstr(out, "EXT4-fs") == NULL);
	CHECK(strstr(out, "\n  shutdownfs: 0.1.0 poweroff: stage 1 on the old root\n") != NULL);
	CHECK(strstr(out, "result: clean\n") != NULL);
	/* JSON: the summary line's own field names, numbers as numbers */
	CHECK_EQ_INT(last_to_buf(&p, true, false), 0);
	CHECK(strstr(out, "\"version\": \"0.1.0\"") != NULL);
	CHECK(strstr(out, "\"source\": \"pstore\"") != NULL);
	CHECK(strstr(out, "\"result\": \"clean\"") != NULL);
	CHECK(strstr(out, "\"crypt_left\": 0") != NULL);
	CHECK(strstr(out, "\"ms\": 688") != NULL);
	CHECK(strstr(out, "\"time\": 1796000000") != NULL);
	/* nothing removed unless asked */
	CHECK(access(p.pstore, F_OK) == 0);
	fixture_cleanup();
}

static void t_last_newest_wins(void)
{
	struct report_paths p;
	char path[PATH_MAX];

	mk_tmp();
	copy_fixture("pstore-ramoops");
	copy_fixture("systemd-pstore");
	copy_fixture("efivars");
	set_mtime("pstore-ramoops/dmesg-ramoops-0", 1795000000);
	set_mtime("systemd-pstore/1796120709/001/dmesg.txt", 1796120709);
	p = paths("pstore-ramoops", "systemd-pstore", "efivars", "");
	/* the archive's record (degraded reboot) is the newest */
	CHECK_EQ_INT(last_to_buf(&p, false, false), 1);
	CHECK(strstr(out, "from archive ") != NULL);
	CHECK(strstr(out, "action=reboot result=degraded") != NULL);
	CHECK(strstr(out, "result: degraded\n") != NULL);
	/* --clear removes what it printed, and only that */
	CHECK_EQ_INT(last_to_buf(&p, false, true), 1);
	snprintf(path, sizeof(path), "%s/systemd-pstore/1796120709/001/dmesg.txt", tmp);
	CHECK(access(path, F_OK) < 0);
	CHECK(access("/dev/null", F_OK) == 0);
	/* then the EFI variable (time=1796000000 in its header) beats pstore */
	CHECK_EQ_INT(last_to_buf(&p, true, false), 0);
	CHECK(strstr(out, "\"source\": \"efivar\"") != NULL);
	CHECK(strstr(out, "\"action\": \"halt\"") != NULL);
	CHECK(strstr(out, "\"lines_dropped\": 2") != NULL);
	fixture_cleanup();
}

static void write_param(const char *mod, const char *name, const char *v)
{
	char path[PATH_MAX];
	char cmd[PATH_MAX + 32];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/module/%s/parameters'", tmp, mod);
	CHECK(system(cmd) == 0);
	snprintf(path, sizeof(path), "%s/module/%s/parameters/%s", tmp, mod, name);
	test_write_file(path, v);
}

static void t_pstore_ready(void)
{
	char why[256], path[PATH_MAX], v[8] = "";
	int fd;

	mk_tmp();
	CHECK(!report_pstore_ready(tmp, true, why, sizeof(why)));
	CHECK(strstr(why, "no backend") != NULL);
	write_param("pstore", "backend", "ramoops\n");
	write_param("ramoops", "max_reason", "-1\n");
	write_param("ramoops", "dump_oops", "-1\n");
	CHECK(!report_pstore_ready(tmp, true, why, sizeof(why)));
	CHECK(strstr(why, "max_reason=2") != NULL);
	CHECK(strstr(why, "ramoops.max_reason=4") != NULL);
	write_param("ramoops", "max_reason", "4\n");
	CHECK(report_pstore_ready(tmp, true, why, sizeof(why)));
	write_param("pstore", "backend", "efi_pstore\n");
	CHECK(!report_pstore_ready(tmp, true, why, sizeof(why)));
	CHECK(strstr(why, "NVRAM") != NULL);
	/* a backend without max_reason follows printk.always_kmsg_dump: set it */
	write_param("pstore", "backend", "blk\n");
	write_param("printk", "always_kmsg_dump", "N\n");
	CHECK(report_pstore_ready(tmp, false, why, sizeof(why)));      /* plan: no change */
	snprintf(path, sizeof(path), "%s/module/printk/parameters/always_kmsg_dump", tmp);
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0 && read(fd, v, sizeof(v) - 1) > 0);
	close(fd);
	CHECK(v[0] == 'N');
	CHECK(report_pstore_ready(tmp, true, why, sizeof(why)));
	snprintf(path, sizeof(path), "%s/module/printk/parameters/always_kmsg_dump", tmp);
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0 && read(fd, v, sizeof(v) - 1) > 0);
	close(fd);
	CHECK(v[0] == 'Y');
	fixture_cleanup();
}

static void t_efivar_and_file_routes(void)
{
	struct report_paths p;
	char dir[PATH_MAX], path[PATH_MAX], rec[REPORT_EFIVAR_MAX + 16];
	size_t len;
	int fd;

	mk_tmp();
	report_init(&r);
	r.time = 1797000000;
	report_add_line(&r, "shutdownfs: 0.1.0 poweroff: stage 1 on the old root", 51);
	report_add_line(&r, SUM_CLEAN, strlen(SUM_CLEAN));
	len = report_render(&r, rec, REPORT_EFIVAR_MAX);
	snprintf(dir, sizeof(dir), "%s/efivars", tmp);
	CHECK(mkdir(dir, 0755) == 0);
	CHECK_EQ_INT(report_efivar_write(dir, rec, len), 0);
	CHECK_EQ_INT(report_efivar_write(dir, rec, len), 0);   /* replaced, not refused */
	memset(rec, 'x', sizeof(rec));
	CHECK_EQ_INT(report_efivar_write(dir, rec, REPORT_EFIVAR_MAX + 1), -E2BIG);
	p = paths("none", "none", "efivars", "");
	CHECK_EQ_INT(last_to_buf(&p, false, false), 0);
	CHECK(strstr(out, "from efivar ") != NULL);
	/* the raw-device route refuses what holds something else */
	snprintf(path, sizeof(path), "%s/disk", tmp);
	test_write_file(path, "\x53\xef ext4 superblock stand-in");
	len = report_render(&r, rec, REPORT_EFIVAR_MAX);
	CHECK_EQ_INT(report_file_write(path, rec, len), -EEXIST);
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0 && ftruncate(fd, 65536) == 0);
	close(fd);
	CHECK_EQ_INT(report_file_write(path, rec, len), 0);
	CHECK_EQ_INT(report_file_write(path, rec, len), 0);     /* an older record is ours */
	p = paths("none", "none", "none", "disk");
	CHECK_EQ_INT(last_to_buf(&p, false, true), 0);
	CHECK(strstr(out, "from file ") != NULL);
	CHECK_EQ_INT(last_to_buf(&p, false, false), 2);         /* cleared */
	fixture_cleanup();
}

static void t_vmm_address(void)
{
	char path[PATH_MAX], dmi[PATH_MAX], addr[128];
	/* type 11, length 5, handle, count 2, then the strings */
	static const char raw[] = "\x0b\x05\x00\x01\x02" "foo=bar\0"
				  "io.systemd.credential:vmm.notify_socket=vsock-stream:2:4242\0";
	int fd;

	mk_tmp();
	snprintf(path, sizeof(path), "%s/cmdline", tmp);
	test_write_file(path, "quiet systemd.set_credential=vmm.notify_socket:vsock:2:1234 ro\n");
	snprintf(dmi, sizeof(dmi), "%s/dmi", tmp);
	CHECK_EQ_INT(notify_vmm_address(path, dmi, addr, sizeof(addr)), 0);
	CHECK_STR(addr, "vsock:2:1234");
	test_write_file(path, "quiet xsystemd.set_credential=vmm.notify_socket:vsock:2:1 ro\n");
	CHECK_EQ_INT(notify_vmm_address(path, dmi, addr, sizeof(addr)), -ENOENT);
	CHECK(mkdir(dmi, 0755) == 0);
	snprintf(dmi, sizeof(dmi), "%s/dmi/11-0", tmp);
	CHECK(mkdir(dmi, 0755) == 0);
	snprintf(dmi, sizeof(dmi), "%s/dmi/11-0/raw", tmp);
	fd = open(dmi, O_WRONLY | O_CREAT, 0644);
	CHECK(fd >= 0 && write(fd, raw, sizeof(raw)) == (ssize_t)sizeof(raw));
	close(fd);
	snprintf(dmi, sizeof(dmi), "%s/dmi", tmp);
	CHECK_EQ_INT(notify_vmm_address(path, dmi, addr, sizeof(addr)), 0);
	CHECK_STR(addr, "vsock-stream:2:4242");
	fixture_cleanup();
}

static void t_config_keys(void)
{
	static struct config c;
	char buf[64];

	config_defaults(&c);
	CHECK_EQ_INT(c.report_routes, REPORT_ROUTES_AUTO);
	CHECK_STR(c.notify, "off");
	CHECK_EQ_INT(config_set(&c, "report", "efivar, pstore", SRC_FILE), 0);
	CHECK_EQ_INT(c.report_routes, REPORT_ROUTE_EFIVAR | REPORT_ROUTE_PSTORE);
	config_routes_name(c.report_routes, buf, sizeof(buf));
	CHECK_STR(buf, "pstore efivar");
	CHECK_EQ_INT(config_set(&c, "report", "off", SRC_FILE), 0);
	CHECK_EQ_INT(c.report_routes, 0);
	CHECK_EQ_INT(config_set(&c, "report", "floppy", SRC_FILE), -EINVAL);
	CHECK_EQ_INT(config_set(&c, "report", "off pstore", SRC_FILE), -EINVAL);
	CHECK_EQ_INT(c.report_routes, 0);
	CHECK_EQ_INT(config_set(&c, "report_file", "PARTLABEL=sdfs-report", SRC_FILE), 0);
	CHECK_EQ_INT(config_set(&c, "report_file", "relative/path", SRC_FILE), -EINVAL);
	CHECK_STR(c.report_file, "PARTLABEL=sdfs-report");
	CHECK_EQ_INT(config_set(&c, "notify", "isa-debug-exit:0x501", SRC_FILE), 0);
	CHECK_EQ_INT(config_set(&c, "notify", "isa-debug-exit:0x10000", SRC_FILE), -EINVAL);
	CHECK_EQ_INT(config_set(&c, "notify", "virtio-serial:org.shutdownfs.0", SRC_FILE), 0);
	CHECK_EQ_INT(config_set(&c, "notify", "virtio-serial:a/b", SRC_FILE), -EINVAL);
	CHECK_EQ_INT(config_set(&c, "notify", "vmm:vsock-stream:2:4242", SRC_FILE), 0);
	CHECK_EQ_INT(config_set(&c, "notify", "vmm:unix:/run/x", SRC_FILE), -EINVAL);
	CHECK_EQ_INT(config_set(&c, "notify", "serial", SRC_FILE), -EINVAL);
	CHECK_STR(c.notify, "vmm:vsock-stream:2:4242");
}

/* The VMM route without a socket (this CI host has no vsock to a VM): the
 * address in systemd's notation and the datagram sd_notify(3) expects. */
static void t_vmm_message(void)
{
	struct sockaddr_vm sa;
	char msg[REPORT_LINE_MAX + 128];
	int type;

	CHECK_EQ_INT(notify_vsock_parse("vsock:2:1234", &type, &sa), 0);
	CHECK_EQ_INT(type, 0);                  /* dgram, then seqpacket */
	CHECK_EQ_INT(sa.svm_family, AF_VSOCK);
	CHECK_EQ_INT(sa.svm_cid, 2);
	CHECK_EQ_INT(sa.svm_port, 1234);
	CHECK_EQ_INT(notify_vsock_parse("vsock-stream:3:4242", &type, &sa), 0);
	CHECK_EQ_INT(type, SOCK_STREAM);
	CHECK_EQ_INT(sa.svm_cid, 3);
	CHECK_EQ_INT(notify_vsock_parse("vsock-seqpacket:2:1", &type, &sa), 0);
	CHECK_EQ_INT(type, SOCK_SEQPACKET);
	CHECK_EQ_INT(notify_vsock_parse("vsock-dgram:2:1", &type, &sa), 0);
	CHECK_EQ_INT(type, SOCK_DGRAM);
	CHECK_EQ_INT(notify_vsock_parse("unix:/run/x", &type, &sa), -EINVAL);
	CHECK_EQ_INT(notify_vsock_parse("vsock:2", &type, &sa), -EINVAL);
	CHECK_EQ_INT(notify_vsock_parse("vsock:2:", &type, &sa), -EINVAL);
	CHECK_EQ_INT(notify_vsock_parse("vsock:x:1", &type, &sa), -EINVAL);
	CHECK_EQ_INT(notify_vsock_parse("vsock-raw:2:1", &type, &sa), -EINVAL);
	notify_vmm_message(SUM_CLEAN, true, msg, sizeof(msg));
	CHECK_STR(msg, "EXIT_STATUS=0\nX_SYSTEMD_SHUTDOWN=poweroff\nX_SHUTDOWNFS_SUMMARY="
		  "summary action=poweroff result=clean unmounted=9 ro=0 detached=0 left=0 ms=38\n");
	notify_vmm_message("shutdownfs: summary action=reboot result=degraded ro=1", false, msg,
			   sizeof(msg));
	CHECK(strncmp(msg, "EXIT_STATUS=1\nX_SYSTEMD_SHUTDOWN=reboot\n", 40) == 0);
}

static const struct test tests[] = {
	{ "summary-parse", t_summary_parse },
	{ "record-drops-foreign-lines", t_foreign_lines },
	{ "record-bounded-summary-kept", t_bounded },
	{ "last-nothing-exits-2", t_last_nothing },
	{ "last-pstore-ramoops", t_last_pstore },
	{ "last-newest-source-wins-and-clear", t_last_newest_wins },
	{ "pstore-ready-by-backend", t_pstore_ready },
	{ "efivar-and-file-routes", t_efivar_and_file_routes },
	{ "vmm-notify-address", t_vmm_address },
	{ "vmm-notify-message", t_vmm_message },
	{ "config-report-notify-keys", t_config_keys },
};

TEST_MAIN(tests)
