/* freeze-pid1.c — test tool for the vm tier's watchdog scenarios: wedge
 * PID 1 the way a kernel stuck too deep would (PID 1 runs no more, the
 * keeper cannot reboot), so that only an armed watchdog ends the run.
 * PTRACE_SEIZE + PTRACE_INTERRUPT puts PID 1 into a trap stop, held for as
 * long as this tracer lives. Built static on the host by tests/vm/lib.sh. */
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	int st;

	if (ptrace(PTRACE_SEIZE, 1, NULL, NULL) < 0 ||
	    ptrace(PTRACE_INTERRUPT, 1, NULL, NULL) < 0) {
		perror("freeze-pid1: ptrace");
		return 1;
	}
	if (waitpid(1, &st, __WALL) == 1)
		fprintf(stderr, "freeze-pid1: PID 1 is stopped\n");
	for (;;)
		pause();
}
