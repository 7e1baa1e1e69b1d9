/* test-modules.c — the libkmod shutdownfs links reads compressed modules:
 * modinfo of .ko, .ko.xz and .ko.zst fixtures (tests/fixtures/modules, an
 * ELF object with a .modinfo section; nothing is loaded). A libkmod built
 * without liblzma or libzstd reads the compressed bytes as ELF and fails. */
#include <libkmod.h>

#include "harness.h"
#include "fixture-path.h"

static void modinfo_of(const char *file)
{
	char path[PATH_MAX];
	struct kmod_ctx *ctx;
	struct kmod_module *mod = NULL;
	struct kmod_list *info = NULL, *l;
	int found = 0;

	snprintf(path, sizeof(path), "%s/modules/%s", fixtures_dir(), file);
	ctx = kmod_new("/nonexistent", NULL);
	CHECK(ctx);
	CHECK_EQ_INT(kmod_module_new_from_path(ctx, path, &mod), 0);
	CHECK(kmod_module_get_info(mod, &info) > 0);
	kmod_list_foreach(l, info) {
		if (strcmp(kmod_module_info_get_key(l), "description") == 0) {
			CHECK_STR(kmod_module_info_get_value(l), "shutdownfs test fixture");
			found = 1;
		}
	}
	CHECK(found);
	kmod_module_info_free_list(info);
	kmod_module_unref(mod);
	kmod_unref(ctx);
}

static void plain(void) { modinfo_of("sfs_fixture.ko"); }
static void xz(void) { modinfo_of("sfs_fixture.ko.xz"); }
static void zst(void) { modinfo_of("sfs_fixture.ko.zst"); }

static const struct test tests[] = {
	{ "modinfo-ko", plain },
	{ "modinfo-ko-xz", xz },
	{ "modinfo-ko-zst", zst },
};

TEST_MAIN(tests)
