/* notify-cred.c — where systemd's vmm.notify_socket credential reaches a
 * guest without systemd: the kernel command line
 * (systemd.set_credential=vmm.notify_socket:ADDR) or an SMBIOS type 11 OEM
 * string (io.systemd.credential:vmm.notify_socket=ADDR). Paths are parameters. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "sysfs.h"

#define CRED "vmm.notify_socket"

static int copy_word(const char *p, char *ret, size_t n)
{
	size_t l = strcspn(p, " \t\n");

	if (l == 0 || l >= n)
		return -EINVAL;
	memcpy(ret, p, l);
	ret[l] = '\0';
	return 0;
}

static int from_cmdline(const char *path, char *ret, size_t n)
{
	static const char *const keys[] = { "systemd.set_credential=" CRED ":",
					    "systemd.set-credential=" CRED ":" };
	char buf[4096];
	size_t k;

	if (sysfs_read(path, buf, sizeof(buf)) <= 0)
		return -ENOENT;
	for (k = 0; k < 2; k++) {
		const char *p = buf;
		while ((p = strstr(p, keys[k]))) {
			if (p == buf || p[-1] == ' ')
				return copy_word(p + strlen(keys[k]), ret, n);
			p++;
		}
	}
	return -ENOENT;
}

/* DMI entry: type, length, handle(2), count; strings after `length` bytes,
 * NUL-terminated, a double NUL ends them */
static int from_dmi_entry(const char *raw_path, char *ret, size_t n)
{
	static const char key[] = "io.systemd.credential:" CRED "=";
	char buf[4096];
	ssize_t len;
	size_t pos;
	int fd = open(raw_path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -ENOENT;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len < 5 || buf[0] != 11 || (unsigned char)buf[1] >= len)
		return -ENOENT;
	buf[len] = '\0';
	for (pos = (unsigned char)buf[1]; pos < (size_t)len && buf[pos]; pos += strlen(buf + pos) + 1)
		if (strncmp(buf + pos, key, sizeof(key) - 1) == 0)
			return copy_word(buf + pos + sizeof(key) - 1, ret, n);
	return -ENOENT;
}

int notify_vmm_address(const char *cmdline_path, const char *dmi_dir, char *ret, size_t n)
{
	char path[512];
	struct dirent *e;
	DIR *d;
	int r = -ENOENT;

	if (from_cmdline(cmdline_path, ret, n) == 0)
		return 0;
	d = opendir(dmi_dir);
	if (!d)
		return -ENOENT;
	while (r < 0 && (e = readdir(d))) {
		if (strncmp(e->d_name, "11-", 3) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s/raw", dmi_dir, e->d_name);
		r = from_dmi_entry(path, ret, n);
	}
	closedir(d);
	return r;
}
