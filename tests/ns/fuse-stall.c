/* fuse-stall.c — a FUSE filesystem whose daemon stops answering: one file,
 * "file", served until data moves; READ, WRITE, FLUSH and FSYNC are read
 * from /dev/fuse and never answered. With writeback caching a write lands
 * in the page cache and its writeback, a sync, an unmount or the last
 * close then wait on the daemon forever, in D state.
 *
 * The daemon names itself "@fuse-stall": the root-storage-daemon convention
 * spares it from the final kill, as a stuck FUSE/NBD daemon would be.
 * Runs only inside the ns tier's namespace (tests/ns/t-hooks.sh).
 *
 *   fuse-stall MOUNTPOINT    mounts, forks the daemon, exits 0 once mounted */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUFSZ (1 << 20)

static uint64_t file_size;

static void reply(int fd, const struct fuse_in_header *in, int error, const void *arg, size_t len)
{
	char buf[4096];
	struct fuse_out_header out = {
		.len = (uint32_t)(sizeof(out) + len), .error = error, .unique = in->unique,
	};

	memcpy(buf, &out, sizeof(out));
	if (len)
		memcpy(buf + sizeof(out), arg, len);
	if (write(fd, buf, sizeof(out) + len) < 0)
		perror("fuse-stall: reply");
}

static void attr_fill(struct fuse_attr *a, uint64_t nodeid)
{
	memset(a, 0, sizeof(*a));
	a->ino = nodeid;
	a->nlink = nodeid == FUSE_ROOT_ID ? 2 : 1;
	a->mode = nodeid == FUSE_ROOT_ID ? (S_IFDIR | 0755) : (S_IFREG | 0644);
	a->size = nodeid == FUSE_ROOT_ID ? 0 : file_size;
	a->blksize = 4096;
}

static void serve(int fd)
{
	char *buf = malloc(BUFSZ);

	for (;;) {
		const struct fuse_in_header *in = (const void *)buf;
		const void *arg = buf + sizeof(*in);
		ssize_t n = read(fd, buf, BUFSZ);

		if (n < 0 && (errno == EINTR || errno == ENOENT || errno == EAGAIN))
			continue;
		if (n < (ssize_t)sizeof(*in))
			exit(0);        /* ENODEV: unmounted or aborted */
		switch (in->opcode) {
		case FUSE_INIT: {
			const struct fuse_init_in *ii = arg;
			struct fuse_init_out o = {
				.major = FUSE_KERNEL_VERSION,
				.minor = ii->minor < 31 ? ii->minor : 31,
				.max_readahead = ii->max_readahead,
				.flags = FUSE_WRITEBACK_CACHE & ii->flags,
				.max_background = 16, .congestion_threshold = 12,
				.max_write = 65536, .time_gran = 1,
			};
			reply(fd, in, 0, &o, sizeof(o));
			break;
		}
		case FUSE_LOOKUP: {
			struct fuse_entry_out o = { 0 };

			if (strcmp(arg, "file") != 0) {
				reply(fd, in, -ENOENT, NULL, 0);
				break;
			}
			o.nodeid = 2;
			o.generation = 1;
			o.entry_valid = o.attr_valid = 3600;
			attr_fill(&o.attr, 2);
			reply(fd, in, 0, &o, sizeof(o));
			break;
		}
		case FUSE_GETATTR:
		case FUSE_SETATTR: {
			struct fuse_attr_out o = { .attr_valid = 3600 };

			if (in->opcode == FUSE_SETATTR) {
				const struct fuse_setattr_in *si = arg;

				if (si->valid & FATTR_SIZE)
					file_size = si->size;
			}
			attr_fill(&o.attr, in->nodeid);
			reply(fd, in, 0, &o, sizeof(o));
			break;
		}
		case FUSE_OPEN:
		case FUSE_OPENDIR: {
			struct fuse_open_out o = { .fh = 1 };

			reply(fd, in, 0, &o, sizeof(o));
			break;
		}
		case FUSE_STATFS: {
			struct fuse_statfs_out o = { .st = { .bsize = 4096, .namelen = 255, .frsize = 4096 } };

			reply(fd, in, 0, &o, sizeof(o));
			break;
		}
		case FUSE_READDIR:
			reply(fd, in, 0, NULL, 0);
			break;
		case FUSE_RELEASE:
		case FUSE_RELEASEDIR:
			reply(fd, in, 0, NULL, 0);
			break;
		case FUSE_READ:
		case FUSE_WRITE:
		case FUSE_FLUSH:
		case FUSE_FSYNC:
			fprintf(stderr, "fuse-stall: stalling opcode %u\n", in->opcode);
			break;          /* the point: never answered */
		case FUSE_INTERRUPT:
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
			break;          /* no reply expected, or none given */
		case FUSE_DESTROY:
			reply(fd, in, 0, NULL, 0);
			exit(0);
		default:
			reply(fd, in, -ENOSYS, NULL, 0);
		}
	}
}

int main(int argc, char **argv)
{
	char opts[128];
	pid_t pid;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: fuse-stall MOUNTPOINT\n");
		return 2;
	}
	if (argv[0][0] != '@') {
		char self[4096], *nargv[] = { "@fuse-stall", argv[1], NULL };
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		if (n <= 0) {
			perror("fuse-stall: /proc/self/exe");
			return 1;
		}
		self[n] = '\0';
		execv(self, nargv);
		perror("fuse-stall: re-exec");
		return 1;
	}
	fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("fuse-stall: /dev/fuse");
		return 1;
	}
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", fd);
	if (mount("fuse-stall", argv[1], "fuse", MS_NOSUID | MS_NODEV, opts) < 0) {
		perror("fuse-stall: mount");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("fuse-stall: fork");
		return 1;
	}
	if (pid > 0)
		return 0;
	setsid();
	(void)!chdir("/");
	serve(fd);
	return 0;
}
