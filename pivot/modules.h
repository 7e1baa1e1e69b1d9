/* modules.h — libkmod glue: load modules before the pivot, while
 * /lib/modules of the old root is still reachable. */
#ifndef MODULES_H
#define MODULES_H

#include "config.h"

/* Load one module by name or alias, with dependencies, honouring
 * blacklists. libkmod's log goes through the program's logger.
 * Returns 0 or a negative errno; never fatal. */
int modules_load(const char *name);
/* Load every `preload` entry; failures are warnings. Returns failures. */
int modules_preload(const struct config *c);

#endif
