/* plan.h — `shutdownfs plan [--json]`: what a run would do now; changes nothing. */
#ifndef PLAN_H
#define PLAN_H

#include <stdbool.h>

#include "config.h"

int plan_run(const struct config *c, bool json);

#endif
