// Decides the answer to one DNS query, the same way for UDP and TCP clients:
//   malformed           → FORMERR / NOTIMP / nothing
//   [dns.hosts] name    → the static addresses
//   PTR of a fake IP    → the name it stands for
//   fake-ip mode, A/AAAA of a name not filtered → an address from the pool
//   HTTPS/SVCB (and AAAA without a v6 pool) of such a name → empty NOERROR, so that
//                         hints in those records cannot bypass the fake address
//   everything else     → the resolver (real upstreams), SERVFAIL when it fails
// Answers known at once are written synchronously into the caller's buffer: that path
// allocates nothing and never touches ldns. Only forwarded queries go asynchronous.
//
// Threads: a handler runs on one thread (its `home`); the resolver's sockets live on the
// main loop (`resolver`). A forwarded query crosses to the resolver's loop and its answer
// comes back home, so the DNS answer thread never touches the resolver and the main loop
// never touches the answer thread's listeners. Both may be the same loop (TCP clients,
// hijacked queries from the TUN). The policy may only be released on the resolver's loop:
// exchange_policy() hands the old one back to the caller for that.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "dns/pool/fake_ip_pool.hpp"
#include "dns/redir/redir_host_memory.hpp"
#include "dns/server/dns_policy.hpp"
#include "dns/server/dns_stats.hpp"
#include "dns/wire/query_parser.hpp"

namespace shunt::dns {

enum class Transport { udp, tcp };

class QueryHandler {
  public:
    enum class Outcome { answered, dropped, pending };
    // Receives a forwarded query's answer on the event loop; an empty vector means
    // "send nothing".
    using AsyncReply = std::function<void(std::vector<std::uint8_t> response)>;

    QueryHandler(FakeIpPool& pool, RedirHostMemory& redir_memory, DnsStats& stats,
                 boost::asio::any_io_executor home, boost::asio::any_io_executor resolver)
        : pool_(pool),
          redir_memory_(redir_memory),
          stats_(stats),
          home_(std::move(home)),
          resolver_(std::move(resolver)) {}

    // On the handler's thread; returns the previous policy.
    std::shared_ptr<const DnsPolicy> exchange_policy(std::shared_ptr<const DnsPolicy> policy) {
        policy_.swap(policy);
        return policy;
    }
    const std::shared_ptr<const DnsPolicy>& policy() const { return policy_; }

    // answered: `out` holds the response. pending: `make_reply()` was called once and
    // the returned callback will get the response later.
    Outcome handle(std::span<const std::uint8_t> packet, Transport transport,
                   std::vector<std::uint8_t>& out, const std::function<AsyncReply()>& make_reply);

  private:
    bool answer_locally(std::span<const std::uint8_t> packet, const Query& query,
                        std::vector<std::uint8_t>& out);
    void forward(std::span<const std::uint8_t> packet, const Query& query, Transport transport,
                 AsyncReply reply);

    FakeIpPool& pool_;
    RedirHostMemory& redir_memory_;
    DnsStats& stats_;
    boost::asio::any_io_executor home_;
    boost::asio::any_io_executor resolver_;
    std::shared_ptr<const DnsPolicy> policy_;
    ParseResult parsed_;  // reused: no allocation per query once names have been seen
    std::size_t inflight_ = 0;
};

}  // namespace shunt::dns
