/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Monotonic milliseconds for deadlines; short waits for bounded polls. */
#pragma once

#include <errno.h>
#include <stdint.h>
#include <time.h>

static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Wall-clock microseconds, for times that outlive a process (the NIC record). */
static inline uint64_t realtime_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/*
 * Microseconds since boot, suspend included (CLOCK_BOOTTIME): the same in
 * every process, and never stepped by a clock sync, for intervals measured
 * across processes (the NIC record: removal in the engine, return in the
 * notifier).
 */
static inline uint64_t boottime_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static inline void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}
