// UdpFlowRouter: the session table's factory. For each new UDP flow it does what
// TcpFlowRouter does for TCP: the domain from the fake-IP reverse map, the rule engine's
// decision (NETWORK,udp rules and all), then a direct outbound — to the flow's own
// destination, or, for a fake IP, to the name's real address through a
// ResolvingUdpOutbound. A fake IP the pool does not know, and REJECT, refuse the flow
// (its datagrams are dropped and counted; UDP has no reset).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "netstack/udp/direct_udp_outbound.hpp"
#include "netstack/udp/udp_outbound.hpp"

namespace shunt::dns {
class DnsService;
}
namespace shunt::rules {
class RuleEngine;
}

namespace shunt::netstack {

class UdpFlowRouter {
  public:
    struct Stats {
        std::uint64_t flows = 0;
        std::uint64_t unknown_fake_ip = 0;
        std::uint64_t rejected = 0;
    };

    UdpFlowRouter(boost::asio::any_io_executor executor, dns::DnsService& dns,
                  std::shared_ptr<rules::RuleEngine> engine, std::uint32_t routing_mark);

    UdpSessionPlan operator()(const UdpFlow& flow);
    const Stats& stats() const { return *stats_; }

  private:
    dns::DnsService& dns_;
    std::shared_ptr<rules::RuleEngine> engine_;
    DirectUdpOutboundFactory direct_;
    std::shared_ptr<Stats> stats_ = std::make_shared<Stats>();
    std::chrono::steady_clock::time_point last_unknown_log_{};
};

}  // namespace shunt::netstack
