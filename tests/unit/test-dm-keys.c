/* test-dm-keys.c — the kexec key check on copies of the sysfs fixtures, a
 * fake kernel answering DM_TABLE_STATUS: a crypt table without a CRYPT-
 * uuid counts, an inactive crypt table counts, and whatever cannot be asked
 * (no sysfs, no control device, an ioctl error) says "cannot tell". */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <linux/dm-ioctl.h>
#include <sys/sysmacros.h>

#include <sys/mman.h>

#include "harness.h"
#include "fixture-path.h"
#include "blockgraph.h"
#include "scope.h"
#include "seams.h"
#include "spawn.h"
#include "teardown.h"

static char sysroot[PATH_MAX];
static struct scope sc;
static const char *crypt_live;          /* dm-N whose live table is crypt */
static const char *crypt_inactive;      /* dm-N whose inactive table is crypt */
static int status_errno;                /* DM_TABLE_STATUS fails with it */
static int open_errno;                  /* the control device cannot be opened */
/* the table queries run in bounded children (spawn.c): what the fake
 * counts lives in a shared mapping */
struct counts {
	unsigned queries, inactive_queries;
	bool saw_table_flag;
};
static struct counts *cnt;
#define queries (cnt->queries)
#define inactive_queries (cnt->inactive_queries)
#define saw_table_flag (cnt->saw_table_flag)

static dev_t dm_decode(uint64_t v)
{
	return makedev((unsigned)((v & 0xfff00) >> 8), (unsigned)((v & 0xff) | ((v >> 12) & 0xfff00)));
}

static bool is(const char *name, dev_t dev)
{
	char path[PATH_MAX + 64], buf[32];
	unsigned ma, mi;
	FILE *f;
	bool yes = false;

	if (!name)
		return false;
	snprintf(path, sizeof(path), "%s/class/block/%s/dev", sysroot, name);
	f = fopen(path, "r");
	if (f && fgets(buf, sizeof(buf), f) && sscanf(buf, "%u:%u", &ma, &mi) == 2)
		yes = makedev(ma, mi) == dev;
	if (f)
		fclose(f);
	return yes;
}

/* Two targets, as a kernel lays them out: specs at data_start, each next
 * an offset from data_start, status text after each spec. */
static int fake_ioctl(int fd, unsigned long req, void *arg)
{
	struct dm_ioctl *io = arg;
	struct dm_target_spec *t;
	bool inactive = io->flags & DM_QUERY_INACTIVE_TABLE_FLAG;
	dev_t dev = dm_decode(io->dev);
	char *data;

	(void)fd;
	CHECK_EQ_INT(req, DM_TABLE_STATUS);
	CHECK(io->flags & DM_NOFLUSH_FLAG);
	saw_table_flag |= (io->flags & DM_STATUS_TABLE_FLAG) != 0;
	CHECK(io->data_size >= sizeof(*io) + 2 * sizeof(*t) + 64);
	queries++;
	inactive_queries += inactive;
	if (status_errno) {
		errno = status_errno;
		return -1;
	}
	io->data_start = sizeof(*io);
	io->target_count = 2;
	data = (char *)io + io->data_start;
	t = (void *)data;
	memset(t, 0, sizeof(*t));
	snprintf(t->target_type, sizeof(t->target_type), "linear");
	t->next = sizeof(*t) + 8;
	t = (void *)(data + sizeof(*t) + 8);
	memset(t, 0, sizeof(*t));
	snprintf(t->target_type, sizeof(t->target_type), "%s",
		 is(inactive ? crypt_inactive : crypt_live, dev) ? "crypt" : "striped");
	t->next = 2 * (sizeof(*t) + 8);
	return 0;
}

static int fake_open(const char *what, dev_t dev, int flags)
{
	(void)what;
	(void)dev;
	(void)flags;
	if (open_errno)
		return -open_errno;
	return open("/dev/null", O_RDWR | O_CLOEXEC);
}

static const struct blockgraph_hooks fake = { fake_ioctl, fake_open };

static void setup(const char *fixture)
{
	snprintf(sysroot, sizeof(sysroot), "%s", fixture_copy(fixture));
	scope_init(&sc, true, "/oldroot");
	sc.sysfs = sysroot;
	crypt_live = crypt_inactive = NULL;
	status_errno = open_errno = 0;
	if (!cnt) {
		cnt = mmap(NULL, sizeof(*cnt), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			   -1, 0);
		CHECK(cnt != MAP_FAILED);
	}
	memset(cnt, 0, sizeof(*cnt));
	blockgraph_set_hooks(&fake);
}

/* md1-luks-lvm: dm-0 is LUKS (CRYPT- uuid), dm-1 and dm-2 LVM LVs. */
static void test_uuid_and_tables(void)
{
	setup("md1-luks-lvm");
	CHECK_EQ_INT(dm_crypt_left(&sc), 1);
	CHECK_EQ_INT(queries, 4);               /* dm-1, dm-2: live and inactive */
	CHECK(!saw_table_flag);                 /* never the table: it holds the key */
	fixture_cleanup();
}

/* `dmsetup create x --table '0 8 crypt ...'`: no uuid, found by its table */
static void test_plain_dmsetup_crypt(void)
{
	char path[PATH_MAX + 64];

	setup("md1-luks-lvm");
	snprintf(path, sizeof(path), "%s/class/block/dm-1/dm/uuid", sysroot);
	test_write_file(path, "\n");
	crypt_live = "dm-1";
	CHECK_EQ_INT(dm_crypt_left(&sc), 2);
	crypt_live = NULL;
	crypt_inactive = "dm-2";                /* loaded, never resumed: a key too */
	CHECK_EQ_INT(dm_crypt_left(&sc), 2);
	CHECK(inactive_queries > 0);
	fixture_cleanup();
}

/* Fails closed: each way of not knowing is a negative errno. */
static void test_cannot_tell(void)
{
	setup("md1-luks-lvm");
	open_errno = EACCES;
	CHECK_EQ_INT(dm_crypt_left(&sc), -EACCES);
	open_errno = 0;
	status_errno = EIO;
	CHECK_EQ_INT(dm_crypt_left(&sc), -EIO);
	status_errno = ENXIO;                   /* removed meanwhile: not a key */
	CHECK_EQ_INT(dm_crypt_left(&sc), 1);
	status_errno = 0;
	sc.sysfs = "/nonexistent/sys";
	CHECK(dm_crypt_left(&sc) < 0);
	fixture_cleanup();
}

/* No dm device at all: no question to ask, no control device needed. */
static void test_no_dm(void)
{
	setup("md1-luks-lvm");
	open_errno = ENOENT;
	sc.whole_machine = false;               /* a scope without the dm devices */
	scope_add(&sc, makedev(9, 127));
	CHECK_EQ_INT(dm_crypt_left(&sc), 0);
	CHECK_EQ_INT(queries, 0);
	fixture_cleanup();
}

static const struct test tests[] = {
	{ "uuid_and_tables", test_uuid_and_tables },
	{ "plain_dmsetup_crypt", test_plain_dmsetup_crypt },
	{ "cannot_tell", test_cannot_tell },
	{ "no_dm", test_no_dm },
};

TEST_MAIN(tests)
