/* notify.c — the verdict to the host of a VM, once, bounded, just before
 * reboot(2): QEMU's isa-debug-exit, a virtio-serial port line, or systemd's
 * VMM notify socket over AF_VSOCK. Only in the initial PID namespace: a
 * test namespace must never write to the host's I/O ports or devices. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/vm_sockets.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <sys/io.h>
#endif

#include "clock.h"
#include "log.h"
#include "notify.h"
#include "report.h"
#include "scope.h"
#include "spawn.h"
#include "sysfs.h"

#define NOTIFY_TIMEOUT_MS 2000
#define NOTIFY_WAIT_MS 1000
/* isa-debug-exit: QEMU exits with (value << 1) | 1 */
#define DEBUG_EXIT_CLEAN 0x10     /* qemu exit status 33 */
#define DEBUG_EXIT_DEGRADED 0x11  /* qemu exit status 35 */
#define DEBUG_EXIT_PORT 0xf4

struct notify_args {
	const char *path;       /* device, or vsock address */
	const char *msg;
	unsigned port;
	unsigned char value;
};

#if defined(__x86_64__) || defined(__i386__)
/* CPUID.1:ECX bit 31 is set by hypervisors, DMI names QEMU under TCG:
 * never poke an I/O port on bare metal */
static bool under_hypervisor(void)
{
	unsigned a, b, c, d;
	char v[64];

	if (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 31)))
		return true;
	return sysfs_read("/sys/class/dmi/id/sys_vendor", v, sizeof(v)) > 0 && strcmp(v, "QEMU") == 0;
}

static int debug_exit_child(void *p)
{
	const struct notify_args *a = p;

	if (ioperm(a->port, 1, 1) < 0)
		return -errno;
	outb(a->value, (unsigned short)a->port);
	return 0;       /* no device there: the write went nowhere */
}
#endif

static int debug_exit(const char *arg, bool clean)
{
#if defined(__x86_64__) || defined(__i386__)
	struct notify_args a = { 0 };
	int r;

	if (!under_hypervisor()) {
		log_warn("notify isa-debug-exit: not under a hypervisor, not writing to an I/O port");
		return -ENODEV;
	}
	a.port = arg ? (unsigned)strtoul(arg, NULL, 0) : DEBUG_EXIT_PORT;
	a.value = clean ? DEBUG_EXIT_CLEAN : DEBUG_EXIT_DEGRADED;
	/* debug: the console's glance stays the last thing on the screen */
	log_debug("notify isa-debug-exit: port %#x value %#x (qemu exits %d)", a.port, a.value,
		 (a.value << 1) | 1);
	r = spawn_call(debug_exit_child, &a, NOTIFY_TIMEOUT_MS, "notify isa-debug-exit");
	/* still here: no isa-debug-exit at that port */
	if (r == 0)
		log_warn("notify isa-debug-exit: the VM went on, no device at port %#x", a.port);
	return r;
#else
	log_warn("notify isa-debug-exit: x86 only");
	return -ENOTSUP;
#endif
}

/* write all of msg to a non-blocking fd, waiting at most NOTIFY_WAIT_MS */
static int write_bounded(int fd, const char *msg)
{
	size_t len = strlen(msg), done = 0;
	uint64_t end = now_ms() + NOTIFY_WAIT_MS;

	while (done < len) {
		ssize_t n = write(fd, msg + done, len - done);
		struct pollfd pfd = { fd, POLLOUT, 0 };

		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (now_ms() >= end || poll(&pfd, 1, (int)(end - now_ms())) <= 0)
			return -ETIMEDOUT;
	}
	return 0;
}

static int serial_child(void *p)
{
	const struct notify_args *a = p;
	int fd = open(a->path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = write_bounded(fd, a->msg);
	close(fd);
	return r;
}

/* devtmpfs has /dev/vportNpM; the port's name is in sysfs (udev makes the
 * /dev/virtio-ports/NAME links, and udev is gone by now) */
static int serial_port_path(const char *name, char *ret, size_t n)
{
	char path[512], v[128];
	struct dirent *e;
	DIR *d = opendir("/sys/class/virtio-ports");
	int r = -ENOENT;

	if (!d)
		return -ENOENT;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/virtio-ports/%s/name", e->d_name);
		if (sysfs_read(path, v, sizeof(v)) >= 0 && strcmp(v, name) == 0) {
			snprintf(ret, n, "/dev/%s", e->d_name);
			r = 0;
			break;
		}
	}
	closedir(d);
	return r;
}

static int virtio_serial(const char *name, const char *line)
{
	char path[300], msg[REPORT_LINE_MAX + 2];
	struct notify_args a = { 0 };
	int r;

	if (serial_port_path(name, path, sizeof(path)) < 0) {
		log_warn("notify virtio-serial: no port named %s (virtio_console loaded, "
			 "-device virtserialport,name=%s?)", name, name);
		return -ENOENT;
	}
	snprintf(msg, sizeof(msg), "%s\n", line);
	a.path = path;
	a.msg = msg;
	r = spawn_call(serial_child, &a, NOTIFY_TIMEOUT_MS, "notify virtio-serial");
	if (r < 0)
		log_warn("notify virtio-serial %s: %s", path,
			 r == SPAWN_TIMEOUT || r == -ETIMEDOUT ? "no reader, gave up" : strerror(-r));
	else
		log_debug("notify virtio-serial %s (%s): sent", name, path);
	return r;
}

int notify_vsock_parse(const char *addr, int *ret_type, struct sockaddr_vm *ret)
{
	const char *p;
	char *end;

	if (strncmp(addr, "vsock", 5) != 0)
		return -EINVAL;
	p = addr + 5;
	*ret_type = 0;          /* dgram, then seqpacket, as systemd does */
	if (strncmp(p, "-stream:", 8) == 0)
		*ret_type = SOCK_STREAM, p += 7;
	else if (strncmp(p, "-dgram:", 7) == 0)
		*ret_type = SOCK_DGRAM, p += 6;
	else if (strncmp(p, "-seqpacket:", 11) == 0)
		*ret_type = SOCK_SEQPACKET, p += 10;
	if (*p++ != ':')
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	ret->svm_family = AF_VSOCK;
	ret->svm_cid = (unsigned)strtoul(p, &end, 10);
	if (end == p || *end != ':')
		return -EINVAL;
	p = end + 1;
	ret->svm_port = (unsigned)strtoul(p, &end, 10);
	return end == p || *end ? -EINVAL : 0;
}

static int vsock_send(int type, const struct sockaddr_vm *sa, const char *msg)
{
	int fd = socket(AF_VSOCK, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), r = 0;
	struct pollfd pfd;

	if (fd < 0)
		return -errno;
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		if (errno != EINPROGRESS)
			r = -errno;
		else if (poll(&pfd, 1, NOTIFY_WAIT_MS) <= 0)
			r = -ETIMEDOUT;
	}
	if (r == 0 && send(fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		r = -errno;
	close(fd);
	return r;
}

static int vmm_child(void *p)
{
	const struct notify_args *a = p;
	struct sockaddr_vm sa;
	int type, r;

	if (notify_vsock_parse(a->path, &type, &sa) < 0)
		return -EINVAL;
	if (type)
		return vsock_send(type, &sa, a->msg);
	r = vsock_send(SOCK_DGRAM, &sa, a->msg);
	return r < 0 ? vsock_send(SOCK_SEQPACKET, &sa, a->msg) : 0;
}

size_t notify_vmm_message(const char *line, bool clean, char *buf, size_t n)
{
	struct summary s;
	const char *action = "poweroff";
	int len;

	if (summary_parse(line, &s) == 0 && summary_get(&s, "action"))
		action = summary_get(&s, "action");
	/* sd_notify(3): X_ for fields of our own */
	len = snprintf(buf, n, "EXIT_STATUS=%d\nX_SYSTEMD_SHUTDOWN=%s\nX_SHUTDOWNFS_SUMMARY=%s\n",
		       clean ? 0 : 1, action, line + (strncmp(line, "shutdownfs: ", 12) ? 0 : 12));
	return len < 0 ? 0 : (size_t)len < n ? (size_t)len : n - 1;
}

static int vmm(const char *addr_arg, const char *line, bool clean)
{
	char addr[128], msg[REPORT_LINE_MAX + 128];
	struct notify_args a = { 0 };
	int r;

	if (addr_arg)
		snprintf(addr, sizeof(addr), "%s", addr_arg);
	else if (notify_vmm_address("/proc/cmdline", "/sys/firmware/dmi/entries", addr,
				    sizeof(addr)) < 0) {
		log_warn("notify vmm: no vmm.notify_socket credential (kernel command line or "
			 "SMBIOS type 11)");
		return -ENOENT;
	}
	(void)notify_vmm_message(line, clean, msg, sizeof(msg));
	a.path = addr;
	a.msg = msg;
	r = spawn_call(vmm_child, &a, NOTIFY_TIMEOUT_MS, "notify vmm");
	if (r < 0)
		log_warn("notify vmm %s: %s%s", addr, r == SPAWN_TIMEOUT ? "timed out" : strerror(-r),
			 r == -EAFNOSUPPORT ? " (no vsock transport: preload = vmw_vsock_virtio_transport)"
					    : "");
	else
		log_debug("notify vmm %s: EXIT_STATUS=%d sent", addr, clean ? 0 : 1);
	return r;
}

int notify_host(const struct config *c, const char *line, bool clean)
{
	const char *v = c->notify;

	if (!v[0] || strcmp(v, "off") == 0)
		return 0;
	if (!pidns_is_initial()) {
		log_info("notify %s: skipped in a child PID namespace", v);
		return 0;
	}
	if (strncmp(v, "isa-debug-exit", 14) == 0)
		return debug_exit(v[14] == ':' ? v + 15 : NULL, clean);
	if (strncmp(v, "virtio-serial:", 14) == 0)
		return virtio_serial(v + 14, line);
	if (strncmp(v, "vmm", 3) == 0)
		return vmm(v[3] == ':' ? v + 4 : NULL, line, clean);
	return -EINVAL;
}
