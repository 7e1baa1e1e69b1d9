/* fixture-path.h — find tests/fixtures whether the test runs from the top of
 * the tree or from build/unit*, and copy a sysfs fixture into a temp dir that
 * a test may change (the fake kernel removes devices from it). */
#ifndef FIXTURE_PATH_H
#define FIXTURE_PATH_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *fixtures_dir(void)
{
	static char dir[PATH_MAX];
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	if (dir[0])
		return dir;
	if (getenv("FIXTURES")) {
		snprintf(dir, sizeof(dir), "%s", getenv("FIXTURES"));
		return dir;
	}
	if (access("tests/fixtures/sysfs", F_OK) == 0) {
		snprintf(dir, sizeof(dir), "tests/fixtures");
		return dir;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	/* build/unit/test-x -> ../../tests/fixtures */
	snprintf(dir, sizeof(dir), "%s/../../tests/fixtures", exe);
	return dir;
}

/* sysfs fixture NAME and its .mountinfo/.swaps, as paths. */
__attribute__((unused)) static void fixture_sysfs(const char *name, char *sysfs, char *mountinfo, char *swaps)
{
	snprintf(sysfs, PATH_MAX, "%s/sysfs/%s", fixtures_dir(), name);
	snprintf(mountinfo, PATH_MAX, "%s/sysfs/%s.mountinfo", fixtures_dir(), name);
	snprintf(swaps, PATH_MAX, "%s/sysfs/%s.swaps", fixtures_dir(), name);
}

static char fixture_tmp[PATH_MAX];

/* Remove the copy fixture_copy() made. */
__attribute__((unused)) static void fixture_cleanup(void)
{
	char cmd[PATH_MAX + 16];

	if (!fixture_tmp[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fixture_tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "%s: failed\n", cmd);
	fixture_tmp[0] = '\0';
}

/* Copy fixture NAME into a fresh temp dir; returns the copy's sysfs root. */
__attribute__((unused)) static const char *fixture_copy(const char *name)
{
	static char tmp[PATH_MAX];
	char cmd[3 * PATH_MAX];

	snprintf(tmp, sizeof(tmp), "/tmp/sdfs-fixture-XXXXXX");
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		_exit(1);
	}
	snprintf(cmd, sizeof(cmd), "cp -a '%s/sysfs/%s' '%s/sys' && cp '%s/sysfs/%s.mountinfo' "
		 "'%s/sysfs/%s.swaps' '%s/'", fixtures_dir(), name, tmp, fixtures_dir(), name,
		 fixtures_dir(), name, tmp);
	if (system(cmd) != 0) {
		fprintf(stderr, "%s: failed\n", cmd);
		_exit(1);
	}
	snprintf(fixture_tmp, sizeof(fixture_tmp), "%s", tmp);
	strncat(tmp, "/sys", sizeof(tmp) - strlen(tmp) - 1);
	return tmp;
}

#endif
