// What the resolver keeps of one client's query: enough to send the canonical query
// upstream and to turn any answer for the same question (fresh or cached) into the
// answer this particular client expects.
//
// Upstream queries are rebuilt rather than forwarded byte for byte, so that what a
// client adds (DNS cookies, client subnet, odd flags) never reaches a cached answer
// that other clients will get. Only what changes an answer's shape is kept, and it is
// part of the cache key: EDNS or not, the DO bit and the CD bit (the "flavor").
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "dns/wire/wire_format.hpp"

namespace shunt::dns {

class ClientQuery {
  public:
    // The EDNS payload size shunt announces upstream (the DNS flag day 2020 value: no
    // IP fragmentation on any common path).
    static constexpr std::uint16_t kUpstreamUdpPayload = kAdvertisedUdpPayload;

    // From a validated client query; nullopt when even its question cannot be read.
    static std::optional<ClientQuery> from_wire(std::span<const std::uint8_t> query);
    // shunt's own query for a normalised name (class IN, EDNS without DO); nullopt for a
    // name that cannot be encoded. "" and "." are the root.
    static std::optional<ClientQuery> for_name(std::string_view name, std::uint16_t qtype);

    std::uint16_t id() const { return id_; }
    // Bits of the query that change what an answer looks like; part of the cache key.
    std::uint8_t flavor() const;
    // The query sent to every upstream: id `id`, RD and AD set, the question in lower
    // case, and an OPT record (payload kUpstreamUdpPayload, DO as asked) when the
    // client used EDNS.
    std::vector<std::uint8_t> upstream_query(std::uint16_t id) const;
    // Turns an answer for the same question into this client's answer: its id and RD
    // bit, AD cleared unless it asked for AD or DO (RFC 6840 §5.8), and its own
    // question bytes, so a client that randomises the case of names (0x20) sees its
    // spelling back. Does nothing to an answer shorter than a header.
    void adapt_answer(std::vector<std::uint8_t>& answer) const;

  private:
    std::uint16_t id_ = 0;
    std::uint16_t flags_ = 0;
    std::vector<std::uint8_t> question_;  // name, type and class as the client sent them
    bool edns_ = false;
    bool dnssec_ok_ = false;
};

}  // namespace shunt::dns
