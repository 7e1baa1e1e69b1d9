/* fake-sys.h — control of the fake sys.h used by unit tests. */
#ifndef FAKE_SYS_H
#define FAKE_SYS_H
extern char fake_sys_log[65536];
void fake_sys_reset(void);
void fake_sys_script(const char *line);
#endif
