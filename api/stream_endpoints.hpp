// GET /traffic, /memory and /logs (docs/api.md §2.7): streams, over a WebSocket or as
// chunked newline-delimited JSON, fed by the shared 1-s sampler and the log broadcast.
#pragma once

#include <memory>

#include "api/api_router.hpp"
#include "api/log_broadcast.hpp"
#include "api/traffic_sampler.hpp"

namespace shunt::api {

void add_stream_endpoints(ApiRouter& router, std::shared_ptr<TrafficSampler> sampler,
                          std::shared_ptr<LogBroadcast> logs);

}  // namespace shunt::api
