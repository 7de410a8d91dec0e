// The netstack issue builds on lwIP compiled with our lwipopts.h; this proves the
// library links and initialises with those options (a wrong option set fails to
// build or trips an lwIP assertion at init).
#include <gtest/gtest.h>

#include "lwip/init.h"
#include "lwip/tcp.h"

TEST(LwipBuild, InitialisesAndCreatesTcpPcb) {
    lwip_init();
    tcp_pcb* pcb = tcp_new();
    ASSERT_NE(pcb, nullptr);
    tcp_abort(pcb);
}
