/* notify.h — the parts of the VMM notification (notify.c) that need no
 * socket, for the unit tests: the address and the datagram. */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <linux/vm_sockets.h>

/* "vsock[-stream|-dgram|-seqpacket]:CID:PORT" (systemd's notation);
 * *ret_type 0 for plain "vsock:" (datagram, then seqpacket). 0 or -EINVAL. */
int notify_vsock_parse(const char *addr, int *ret_type, struct sockaddr_vm *ret);
/* "EXIT_STATUS=0|1\nX_SYSTEMD_SHUTDOWN=ACTION\nX_SHUTDOWNFS_SUMMARY=...\n"
 * for the summary line; its length. */
size_t notify_vmm_message(const char *summary_line, bool clean, char *buf, size_t n);

#endif
