// The control API of `shunt run` (docs/api.md): the [api] section turned into a running
// ApiServer whose endpoints read and drive the app's parts. Everything runs on the app's
// event loop, where those parts live, so no endpoint needs a lock; a response is built
// in one go and written asynchronously, and streams are bounded (docs/api.md §3), so an
// API client cannot hold the loop.
#pragma once

#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "api/api_server.hpp"
#include "api/log_broadcast.hpp"
#include "api/running_shunt.hpp"
#include "config/config.hpp"
#include "flow/flow_registry.hpp"

namespace shunt::flow {
class DestinationNames;
}
namespace shunt::dns {
class DnsService;
}

namespace shunt::app {

// The app's parts the endpoints use; each outlives the server.
struct ControlApiParts {
    flow::FlowRegistry& registry;
    flow::DestinationNames& names;
    dns::DnsService& dns;
    api::RunningShunt& shunt;
    std::shared_ptr<api::LogBroadcast> logs;  // attached to the logger while the API runs
};

// Guard settings as a config gives them (a reload applies them to new requests).
api::GuardSettings guard_settings(const ApiConfig& api);

// Builds the server with every endpoint; start() binds it.
std::unique_ptr<api::ApiServer> make_control_api(boost::asio::any_io_executor executor,
                                                 const Config& config, ControlApiParts parts);

}  // namespace shunt::app
