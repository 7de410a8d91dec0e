// What every long-running shunt process (`run`, `mux-server`) sets up before it serves.
#pragma once

namespace shunt {

// Ignores SIGPIPE (a peer that disconnects mid-write must not kill the process) and
// raises the open-file limit to the hard limit: every relayed connection holds a socket,
// and the usual soft limit of 1,024 would cap flows far below what shunt is set to carry.
void prepare_server_process();

}  // namespace shunt
