/* harness.h — unit test harness: a static table of { name, fn }, each test
 * forked with an alarm so a crash or hang fails one test, not the run.
 * Prints PASS/FAIL lines (tests/README.md). Include once per test binary,
 * define `static const struct test tests[]`, and end with TEST_MAIN(tests). */
#ifndef HARNESS_H
#define HARNESS_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct test {
	const char *name;
	void (*fn)(void);
};

static const char *test_prog = "unit";

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		_exit(1); \
	} } while (0)
#define CHECK_EQ_INT(a, b) do { \
	long long _a = (long long)(a), _b = (long long)(b); \
	if (_a != _b) { \
		fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", \
			__FILE__, __LINE__, #a, _a, #b, _b); \
		_exit(1); \
	} } while (0)
#define CHECK_STR(a, b) do { \
	const char *_a = (a), *_b = (b); \
	if (!_a || !_b || strcmp(_a, _b) != 0) { \
		fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", \
			__FILE__, __LINE__, #a, _a ? _a : "(null)", _b ? _b : "(null)"); \
		_exit(1); \
	} } while (0)

static int test_run_one(const struct test *t, unsigned timeout_s)
{
	int st;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		alarm(timeout_s);
		t->fn();
		fflush(NULL);
		_exit(0);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFSIGNALED(st))
		fprintf(stderr, "%s: killed by signal %d%s\n", t->name, WTERMSIG(st),
			WTERMSIG(st) == SIGALRM ? " (timeout)" : "");
	return 1;
}

static int test_main(const struct test *t, size_t n, int argc, char **argv)
{
	size_t i;
	int failed = 0;
	const char *only = argc > 1 ? argv[1] : NULL;
	const char *slash = strrchr(argv[0], '/');

	test_prog = slash ? slash + 1 : argv[0];
	if (getenv("UNIT_TAG"))
		test_prog = getenv("UNIT_TAG");
	for (i = 0; i < n; i++) {
		if (only && strcmp(only, t[i].name) != 0)
			continue;
		if (test_run_one(&t[i], 20) == 0) {
			printf("PASS %s/%s\n", test_prog, t[i].name);
		} else {
			printf("FAIL %s/%s: see stderr\n", test_prog, t[i].name);
			failed++;
		}
		fflush(stdout);
	}
	return failed ? 1 : 0;
}

#define TEST_MAIN(table) \
	int main(int argc, char **argv) \
	{ return test_main(table, sizeof(table) / sizeof(table[0]), argc, argv); }

/* Write a file for a fixture; path's directory must exist. */
static inline void test_write_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "fopen %s: %s\n", path, strerror(errno));
		_exit(1);
	}
	fputs(content, f);
	fclose(f);
}

/* The run's log (stderr) appended to a file between test_log_capture()
 * and test_log_restore(), so a failed CHECK still reaches the harness. */
static int test_saved_stderr = -1;

static inline void test_log_capture(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);

	CHECK(fd >= 0);
	test_saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
}

static inline void test_log_restore(void)
{
	if (test_saved_stderr >= 0) {
		dup2(test_saved_stderr, 2);
		close(test_saved_stderr);
		test_saved_stderr = -1;
	}
}

/* A whole file (up to 1 MiB) in a static buffer. */
static inline const char *test_read_file(const char *path)
{
	static char buf[1 << 20];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	CHECK(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* rm -rf DIR, restoring stderr first. */
static inline void test_cleanup_dir(const char *dir)
{
	char cmd[160];

	test_log_restore();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)!system(cmd);
}

#endif
