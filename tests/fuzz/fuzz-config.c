/* fuzz-config.c — libFuzzer target: the config file and kernel command line
 * parsers on arbitrary bytes, then the stage-2 argv round trip. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config c, back;
	static char buf[8192];
	char *argv[64];
	struct cmdline cl;
	char err[128];
	int n;

	config_defaults(&c);
	config_parse_buf(&c, (const char *)data, size, "fuzz");
	config_parse_cmdline(&c, (const char *)data, size);
	/* whatever was accepted must survive the trip into stage 2 */
	n = config_to_argv(&c, argv + 2, 60, buf, sizeof(buf));
	if (n < 0)
		return 0;
	argv[0] = (char *)"/shutdownfs";
	argv[1] = (char *)"--stage2";
	argv[n + 2] = (char *)"reboot";
	argv[n + 3] = NULL;
	if (cmdline_parse(n + 3, argv, &cl, err, sizeof(err)) != 0)
		__builtin_trap();
	config_build(&back, &cl, NULL);
	if (back.deadline_ms != c.deadline_ms || back.kill_timeout_ms != c.kill_timeout_ms ||
	    back.hook_timeout_ms != c.hook_timeout_ms || back.nprotect != c.nprotect ||
	    back.npreload != c.npreload || back.ramfs_size != c.ramfs_size ||
	    strcmp(back.skel, c.skel) != 0 || strcmp(back.watchdog, c.watchdog) != 0)
		__builtin_trap();
	return 0;
}
