#include "dns/resolve/client_query.hpp"

#include <algorithm>

#include "dns/resolve/message_scan.hpp"
#include "net/domain_name.hpp"

namespace shunt::dns {

namespace {

constexpr std::uint8_t kFlavorEdns = 1;
constexpr std::uint8_t kFlavorDnssecOk = 2;
constexpr std::uint8_t kFlavorCheckingDisabled = 4;

std::uint8_t ascii_lower(std::uint8_t c) {
    return c >= 'A' && c <= 'Z' ? static_cast<std::uint8_t>(c - 'A' + 'a') : c;
}

// Equal names, ignoring ASCII case. Length bytes (0..63) are never letters, so the
// whole encoded name can be compared byte by byte.
bool same_question(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
    if (a.size() != b.size() || a.size() < 4) return false;
    std::size_t name_size = a.size() - 4;
    for (std::size_t i = 0; i < name_size; ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return std::equal(a.end() - 4, a.end(), b.end() - 4);
}

}  // namespace

std::optional<ClientQuery> ClientQuery::from_wire(std::span<const std::uint8_t> query) {
    auto question = scan_question(query);
    if (!question) return std::nullopt;
    ClientQuery client;
    client.id_ = question->id;
    client.flags_ = question->flags;
    client.question_.assign(query.begin() + kHeaderSize, query.begin() + question->question_end);
    // The server validated the question only. Malformed additional data is treated as
    // "no EDNS": the client then gets a plain answer, which it can always handle.
    if (auto full = scan_message(query); full && full->opt()) {
        client.edns_ = true;
        client.dnssec_ok_ = full->dnssec_ok();
    }
    return client;
}

std::optional<ClientQuery> ClientQuery::for_name(std::string_view name, std::uint16_t qtype) {
    ClientQuery client;
    client.flags_ = header_flag::rd;
    client.edns_ = true;
    if (name != "" && name != ".") {
        auto normalized = normalize_domain(name);
        if (!normalized) return std::nullopt;
        std::string_view rest = *normalized;
        while (!rest.empty()) {
            auto dot = rest.find('.');
            auto label = rest.substr(0, dot);
            client.question_.push_back(static_cast<std::uint8_t>(label.size()));
            client.question_.insert(client.question_.end(), label.begin(), label.end());
            rest = dot == std::string_view::npos ? std::string_view{} : rest.substr(dot + 1);
        }
    }
    client.question_.push_back(0);
    for (std::uint16_t v : {qtype, kClassIn}) {
        client.question_.push_back(static_cast<std::uint8_t>(v >> 8));
        client.question_.push_back(static_cast<std::uint8_t>(v));
    }
    return client;
}

std::uint8_t ClientQuery::flavor() const {
    std::uint8_t bits = 0;
    if (edns_) bits |= kFlavorEdns;
    if (dnssec_ok_) bits |= kFlavorDnssecOk;
    if (flags_ & header_flag::cd) bits |= kFlavorCheckingDisabled;
    return bits;
}

std::vector<std::uint8_t> ClientQuery::upstream_query(std::uint16_t id) const {
    std::vector<std::uint8_t> wire(kHeaderSize, 0);
    write_u16(wire.data() + 0, id);
    // Always RD: a referral cached for a client that asked RD=0 must not reach others.
    write_u16(wire.data() + 2, static_cast<std::uint16_t>(header_flag::rd | header_flag::ad |
                                                          (flags_ & header_flag::cd)));
    write_u16(wire.data() + 4, 1);
    write_u16(wire.data() + 10, edns_ ? 1 : 0);
    std::size_t name_size = question_.size() - 4;
    for (std::size_t i = 0; i < question_.size(); ++i)
        wire.push_back(i < name_size ? ascii_lower(question_[i]) : question_[i]);
    if (edns_) {
        const std::uint8_t opt[] = {0,  // root owner
                                    0,
                                    kTypeOpt,  // type
                                    kUpstreamUdpPayload >> 8,
                                    kUpstreamUdpPayload & 0xff,  // payload size
                                    0,
                                    0,
                                    static_cast<std::uint8_t>(dnssec_ok_ ? 0x80 : 0),
                                    0,  // ext rcode, version, DO
                                    0,
                                    0};  // no options
        wire.insert(wire.end(), std::begin(opt), std::end(opt));
    }
    return wire;
}

void ClientQuery::adapt_answer(std::vector<std::uint8_t>& answer) const {
    if (answer.size() < kHeaderSize) return;
    write_u16(answer.data() + 0, id_);
    std::uint16_t flags = read_u16(answer.data() + 2);
    flags = static_cast<std::uint16_t>((flags & ~header_flag::rd) | (flags_ & header_flag::rd));
    if (!(flags_ & header_flag::ad) && !dnssec_ok_)
        flags &= static_cast<std::uint16_t>(~header_flag::ad);
    write_u16(answer.data() + 2, flags);
    auto scanned = scan_question(answer);
    if (!scanned) return;
    std::span<std::uint8_t> question(answer.data() + kHeaderSize,
                                     scanned->question_end - kHeaderSize);
    if (same_question(question, question_))
        std::copy(question_.begin(), question_.end(), question.begin());
}

}  // namespace shunt::dns
