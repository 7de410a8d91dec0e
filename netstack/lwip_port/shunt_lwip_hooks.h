/* The hooks shunt gives lwIP (LWIP_HOOK_FILENAME in lwipopts.h): C declarations of
 * functions in this folder, built into the lwip library beside sys_now. */
#ifndef SHUNT_LWIP_HOOKS_H
#define SHUNT_LWIP_HOOKS_H

#include "lwip/err.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tcp_pcb;
struct tcp_hdr;

/* LWIP_HOOK_TCP_INPACKET_PCB: a segment lwIP matched to `pcb`, before lwIP processes it;
 * anything but ERR_OK drops it (tcp_input_hook.cpp says which). */
err_t shunt_tcp_inpacket(struct tcp_pcb* pcb, const struct tcp_hdr* hdr);

#ifdef __cplusplus
}
#endif

#endif /* SHUNT_LWIP_HOOKS_H */
