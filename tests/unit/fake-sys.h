/* fake-sys.h — control of the fake sys.h used by unit tests. */
#ifndef FAKE_SYS_H
#define FAKE_SYS_H
struct fake_shared;
struct fake_shared *fake_sys_shared(void);
/* every call, in order, as "name:arg\n", children's calls included */
#define fake_sys_log (*(char (*)[65536])(void *)fake_sys_shared())
void fake_sys_reset(void);
void fake_sys_script(const char *line);
#endif
