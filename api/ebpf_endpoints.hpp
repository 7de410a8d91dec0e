// GET /ebpf (docs/api.md §2.10): the eBPF bypass's state and the program's counters. Not a
// mihomo endpoint; dashboards ignore it, shunt's own shows it.
#pragma once

#include "api/api_router.hpp"
#include "api/running_shunt.hpp"

namespace shunt::api {

void add_ebpf_endpoints(ApiRouter& router, RunningShunt& shunt);

}  // namespace shunt::api
