/* log.h — every step's messages: /dev/kmsg, the console, stderr when a pipe or file. */
#ifndef LOG_H
#define LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level {
	LOG_LVL_ERR = 3,
	LOG_LVL_WARN = 4,
	LOG_LVL_NOTICE = 5,
	LOG_LVL_INFO = 6,
	LOG_LVL_DEBUG = 7,
};

/* Open the sinks. kmsg and console are used only in the initial PID
 * namespace (a test namespace must not write to the host's console);
 * stderr is used when it is a pipe or a regular file. */
void log_open(void);
/* Close and reopen kmsg/console, e.g. after pivot_root into a fresh /dev. */
void log_reopen(void);
void log_close(void);
void log_set_verbose(bool verbose);
bool log_is_verbose(void);
/* fds the log holds, so the fd closer can spare them; -1 when unused. */
void log_fds(int ret_fds[3]);

/* The lines this process logged (without the <N> prefix), newest kept. */
size_t log_history(const char **ret);
/* One line to the console only (the glance at the end): kmsg has it all. */
void log_console(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)    log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)   log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...)   log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)  log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
