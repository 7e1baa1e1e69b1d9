/* fuzz-config.c — libFuzzer target: the config file and kernel command line
 * parsers on arbitrary bytes, then each value read back from its rendering. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config c, back;
	char val[8192];
	int k;

	config_defaults(&c);
	config_parse_buf(&c, (const char *)data, size, "fuzz");
	config_parse_cmdline(&c, (const char *)data, size);
	/* whatever was accepted reads back the same from its rendering, as
	 * plan shows it and as a config file would say it */
	config_defaults(&back);
	for (k = 0; k < KEY__MAX; k++) {
		if (config_value(&c, (enum config_key)k, val, sizeof(val)) < 0)
			continue;
		if (config_set(&back, config_key_name((enum config_key)k), val, SRC_FILE) < 0 &&
		    !(k == KEY_PROTECT && !c.nprotect) && !(k == KEY_PRELOAD && !c.npreload))
			__builtin_trap();
	}
	if (back.deadline_ms != c.deadline_ms || back.kill_timeout_ms != c.kill_timeout_ms ||
	    back.hook_timeout_ms != c.hook_timeout_ms || back.nprotect != c.nprotect ||
	    back.npreload != c.npreload || back.ramfs_size != c.ramfs_size ||
	    strcmp(back.skel, c.skel) != 0 || strcmp(back.watchdog, c.watchdog) != 0)
		__builtin_trap();
	return 0;
}
