/* mkmounts.c — many idle mounts fast, for the ns tier and bench/ns-bench.sh
 * (a mount(8) per mount costs a fork and an exec each). Runs only inside the
 * ns tier's namespace, on its fake root.
 *
 *   mkmounts DIR N tmpfs    N tmpfs at DIR/0 .. DIR/N-1
 *   mkmounts DIR N nested   N tmpfs in chains 16 deep: DIR/c0/1/2/.../15, DIR/c1/...
 *   mkmounts DIR N bind     one tmpfs at DIR/src and N binds of it at DIR/b/0 ...
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

static void die(const char *what, const char *path)
{
	fprintf(stderr, "mkmounts: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

static void mkdir_p(const char *path)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die("mkdir", path);
}

static void mount_tmpfs(const char *path)
{
	mkdir_p(path);
	if (mount("idle", path, "tmpfs", 0, "size=64k,mode=0755") < 0)
		die("mount", path);
}

int main(int argc, char **argv)
{
	char path[4096];
	long i, n;

	if (argc != 4 || (n = strtol(argv[2], NULL, 10)) < 0) {
		fprintf(stderr, "usage: mkmounts DIR N tmpfs|nested|bind\n");
		return 2;
	}
	mkdir_p(argv[1]);
	if (strcmp(argv[3], "tmpfs") == 0) {
		for (i = 0; i < n; i++) {
			snprintf(path, sizeof(path), "%s/%ld", argv[1], i);
			mount_tmpfs(path);
		}
	} else if (strcmp(argv[3], "nested") == 0) {
		size_t len = 0;

		for (i = 0; i < n; i++) {
			if (i % 16 == 0)
				len = (size_t)snprintf(path, sizeof(path), "%s/c%ld", argv[1], i / 16);
			else
				len += (size_t)snprintf(path + len, sizeof(path) - len, "/%ld", i % 16);
			mount_tmpfs(path);
		}
	} else if (strcmp(argv[3], "bind") == 0) {
		char src[4096];

		snprintf(src, sizeof(src), "%s/src", argv[1]);
		mount_tmpfs(src);
		snprintf(path, sizeof(path), "%s/b", argv[1]);
		mkdir_p(path);
		for (i = 0; i < n; i++) {
			snprintf(path, sizeof(path), "%s/b/%ld", argv[1], i);
			mkdir_p(path);
			if (mount(src, path, NULL, MS_BIND, NULL) < 0)
				die("bind", path);
		}
	} else {
		fprintf(stderr, "mkmounts: unknown kind %s\n", argv[3]);
		return 2;
	}
	return 0;
}
