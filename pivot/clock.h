/* clock.h — CLOCK_MONOTONIC in ms and us, for deadlines and durations. */
#ifndef SHUTDOWNFS_CLOCK_H
#define SHUTDOWNFS_CLOCK_H

#include <stdint.h>

uint64_t now_ms(void);
uint64_t now_us(void);

#endif
