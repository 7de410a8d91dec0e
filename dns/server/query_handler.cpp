#include "dns/server/query_handler.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>

#include "dns/resolve/message_scan.hpp"
#include "dns/wire/response_writer.hpp"
#include "dns/wire/reverse_name.hpp"
#include "dns/wire/wire_format.hpp"

namespace shunt::dns {

namespace {

constexpr std::uint16_t kTypeSvcb = 64;
constexpr std::uint16_t kTypeHttps = 65;

}  // namespace

QueryHandler::Outcome QueryHandler::handle(std::span<const std::uint8_t> packet,
                                           Transport transport, std::vector<std::uint8_t>& out,
                                           const std::function<AsyncReply()>& make_reply) {
    DnsStats::bump(stats_.queries);
    parse_query(packet, parsed_);
    switch (parsed_.verdict) {
        case QueryVerdict::ok:
            break;
        case QueryVerdict::drop:
            DnsStats::bump(stats_.dropped);
            spdlog::debug("dns: dropped a {}-byte packet: {}", packet.size(), parsed_.reason);
            return Outcome::dropped;
        case QueryVerdict::formerr:
        case QueryVerdict::notimp:
            DnsStats::bump(stats_.malformed);
            spdlog::debug("dns: malformed query ({} bytes): {}", packet.size(), parsed_.reason);
            if (!write_error(
                    packet,
                    parsed_.verdict == QueryVerdict::formerr ? Rcode::formerr : Rcode::notimp, out))
                return Outcome::dropped;
            return Outcome::answered;
    }
    const Query& query = parsed_.query;
    if (query.has_edns && query.edns_version > 0) {
        DnsStats::bump(stats_.malformed);
        return write_badvers(packet, query, out) ? Outcome::answered : Outcome::dropped;
    }
    if (answer_locally(packet, query, out)) {
        // The writers refuse what cannot be encoded (e.g. an answer over 64 KiB):
        // SERVFAIL then, never an empty datagram.
        if (out.empty() && !write_empty_answer(packet, query, Rcode::servfail, out))
            return Outcome::dropped;
        if (transport == Transport::udp) truncate_for_udp(out, query.edns_udp_size);
        return Outcome::answered;
    }
    if (inflight_ >= policy_->dns().max_inflight_queries) {
        // Bounded work: past the cap a client gets SERVFAIL at once rather than a
        // queue that grows until memory runs out.
        DnsStats::bump(stats_.overloaded);
        if (!write_empty_answer(packet, query, Rcode::servfail, out)) return Outcome::dropped;
        return Outcome::answered;
    }
    forward(packet, query, transport, make_reply());
    return Outcome::pending;
}

bool QueryHandler::answer_locally(std::span<const std::uint8_t> packet, const Query& query,
                                  std::vector<std::uint8_t>& out) {
    const auto& dns = policy_->dns();
    if (query.qclass != kClassIn) return false;
    bool address_query = query.qtype == kTypeA || query.qtype == kTypeAaaa;

    if (address_query && !policy_->hosts.empty()) {
        if (auto it = policy_->hosts.find(query.name); it != policy_->hosts.end()) {
            IpAddress matching[16];
            std::size_t n = 0;
            for (const auto& a : it->second) {
                if (a.is_v4() == (query.qtype == kTypeA) && n < std::size(matching))
                    matching[n++] = a;
            }
            write_address_answer(packet, query, std::span(matching, n), dns.fake_ip_ttl, out);
            DnsStats::bump(stats_.local_answers);
            return true;
        }
    }
    if (dns.mode != DnsMode::fake_ip) return false;

    if (query.qtype == kTypePtr) {
        auto address = parse_reverse_name(query.name);
        if (!address || !pool_.in_range(*address)) return false;
        if (auto name = pool_.lookup(*address)) {
            write_ptr_answer(packet, query, *name, dns.fake_ip_ttl, out);
        } else {
            write_empty_answer(packet, query, Rcode::nxdomain, out);
        }
        DnsStats::bump(stats_.local_answers);
        return true;
    }
    bool fakeable = address_query || query.qtype == kTypeHttps || query.qtype == kTypeSvcb;
    if (!fakeable || query.name.empty() || policy_->is_filtered(query.name)) return false;

    auto family = query.qtype == kTypeAaaa ? IpAddress::Family::v6 : IpAddress::Family::v4;
    if (!address_query || !pool_.has_family(family)) {
        write_empty_answer(packet, query, Rcode::noerror, out);
        DnsStats::bump(stats_.local_answers);
        return true;
    }
    try {
        IpAddress address = pool_.assign(query.name, family);
        write_address_answer(packet, query, std::span(&address, 1), dns.fake_ip_ttl, out);
        DnsStats::bump(stats_.fake_answers);
    } catch (const FakeIpStoreUnwritable&) {
        // The pool logged why (rate-limited); the client asks again later.
        out.clear();
        write_empty_answer(packet, query, Rcode::servfail, out);
        DnsStats::bump(stats_.servfail);
    }
    return true;
}

void QueryHandler::forward(std::span<const std::uint8_t> packet, const Query& query,
                           Transport transport, AsyncReply reply) {
    DnsStats::bump(stats_.forwarded);
    ++inflight_;
    // The work outlives this call: it keeps the policy (and so the resolver) it started
    // with, and its own copies of the query bytes and fields. Every copy of the policy
    // ends on the resolver's loop.
    boost::asio::dispatch(
        resolver_, [this, policy = policy_,
                    query_bytes = std::vector<std::uint8_t>(packet.begin(), packet.end()),
                    q = query, transport, reply = std::move(reply)]() mutable {
            auto& resolver = *policy->resolver;
            auto bytes = query_bytes;
            resolver.resolve(
                bytes, q.name, q.qtype, q.qclass,
                [this, policy = std::move(policy), query_bytes = std::move(query_bytes), q,
                 transport, reply = std::move(reply)](boost::system::error_code ec,
                                                      std::vector<std::uint8_t> response) mutable {
                    if (ec == boost::asio::error::operation_aborted) {  // shutting down
                        response.clear();
                    } else if (ec || response.size() < kHeaderSize) {
                        DnsStats::bump(stats_.servfail);
                        spdlog::debug("dns: {} type {}: upstream failed: {}", q.name, q.qtype,
                                      ec.message());
                        response.clear();
                        write_empty_answer(query_bytes, q, Rcode::servfail, response);
                    } else if (policy->dns().mode == DnsMode::redir_host &&
                               (q.qtype == kTypeA || q.qtype == kTypeAaaa)) {
                        redir_memory_.remember(q.name, answer_addresses(response));
                    }
                    if (transport == Transport::udp && !response.empty())
                        truncate_for_udp(response, q.edns_udp_size);
                    boost::asio::dispatch(home_, [this, reply = std::move(reply),
                                                  response = std::move(response)]() mutable {
                        --inflight_;
                        reply(std::move(response));
                    });
                });
        });
}

}  // namespace shunt::dns
