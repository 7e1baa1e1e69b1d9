/* budget.c — when each phase must end: its own budget, cut so that the
 * critical phases after it (the key wipe, md stop, the summary) and PID 1's
 * final sync still fit before the global deadline. The keeper enforces it;
 * the worker skips a phase that has no time left at all. */
#include "budget.h"
#include "worker.h"

uint64_t budget_deadline(const struct run_state *rs)
{
	return rs->cfg.deadline_ms ? rs->start_us / 1000 + rs->cfg.deadline_ms : 0;
}

/* The reserves of the phases after i in this stage and, from stage 1, of
 * every critical phase of stage 2: stage 1 must not eat the key wipe. */
static uint64_t reserve_after(const struct run_state *rs, const struct run_phase *ph,
			      unsigned n, int i)
{
	const struct run_phase *ph2;
	uint64_t sum = 0;
	unsigned j, n2;

	for (j = (unsigned)(i + 1); j < n; j++)
		if (worker_phase_applies(&ph[j], rs))
			sum += ph[j].reserve_ms;
	if (rs->stage == STAGE_ONE) {
		ph2 = worker_phases(STAGE_TWO, &n2);
		for (j = 0; j < n2; j++)
			sum += ph2[j].reserve_ms;
	}
	return sum;
}

/* The reserves (and PID 1's final sync) take at most a third of a short
 * deadline: scaled down together, so every phase still gets a turn. */
static uint64_t scaled(const struct run_state *rs, const struct run_phase *ph, unsigned n,
		       uint64_t ms)
{
	uint64_t all = FINAL_SYNC_MS + reserve_after(rs, ph, n, -1);
	uint64_t third = rs->cfg.deadline_ms / 3;

	return all > third ? ms * third / all : ms;
}

uint64_t budget_stop(const struct run_state *rs, const struct run_phase *ph, unsigned n)
{
	uint64_t deadline = budget_deadline(rs);

	return deadline ? deadline - scaled(rs, ph, n, FINAL_SYNC_MS) : 0;
}

uint64_t budget_phase_end(const struct run_state *rs, const struct run_phase *ph, unsigned n,
			  unsigned i)
{
	uint64_t end = rs->phase_since_ms + worker_budget(&ph[i], rs);
	uint64_t stop = budget_stop(rs, ph, n), reserve, own;

	if (!stop)
		return end;
	reserve = scaled(rs, ph, n, reserve_after(rs, ph, n, (int)i));
	if (stop > reserve && stop - reserve < end)
		end = stop - reserve;
	/* a critical phase keeps its own reserve even when others overran */
	own = scaled(rs, ph, n, ph[i].reserve_ms);
	if (own && end < rs->phase_since_ms + own)
		end = rs->phase_since_ms + own;
	return end;
}

