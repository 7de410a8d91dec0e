#include "dns/upstream/bootstrap_resolver.hpp"

#include "dns/wire/ldns.hpp"

#include <algorithm>
#include <array>
#include <random>
#include <stdexcept>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include "dns/upstream/message_check.hpp"
#include "dns/upstream/upstream_error.hpp"

namespace shunt::dns {

namespace {

constexpr std::uint16_t kTypeA = 1;
constexpr std::uint16_t kTypeAaaa = 28;
constexpr std::array<std::uint16_t, 2> kTypes = {kTypeA, kTypeAaaa};

std::uint16_t random_id() {
    static std::mt19937 generator{std::random_device{}()};
    return static_cast<std::uint16_t>(generator());
}

}  // namespace

// One resolution: the types in kTypes asked in turn, each of the upstreams in turn.
struct BootstrapResolver::Lookup {
    std::size_t type_index = 0;
    std::size_t upstream_index = 0;
    std::vector<IpAddress> addresses;
    std::uint32_t ttl = UINT32_MAX;
    boost::system::error_code last_error;
    bool any_answer = false;
};

std::vector<IpAddress> addresses_in_answer(const std::vector<std::uint8_t>& answer,
                                           std::uint32_t& ttl) {
    std::vector<IpAddress> out;
    ldns_pkt* packet = nullptr;
    if (ldns_wire2pkt(&packet, answer.data(), answer.size()) != LDNS_STATUS_OK) return out;
    ldns_rr_list* records = ldns_pkt_answer(packet);
    for (std::size_t i = 0; records && i < ldns_rr_list_rr_count(records); ++i) {
        ldns_rr* rr = ldns_rr_list_rr(records, i);
        ldns_rdf* data = ldns_rr_rdf(rr, 0);
        if (!data) continue;
        auto type = ldns_rr_get_type(rr);
        if (type == LDNS_RR_TYPE_A && ldns_rdf_size(data) == 4) {
            const std::uint8_t* b = ldns_rdf_data(data);
            out.push_back(IpAddress::from_v4(static_cast<std::uint32_t>(b[0]) << 24 |
                                             static_cast<std::uint32_t>(b[1]) << 16 |
                                             static_cast<std::uint32_t>(b[2]) << 8 | b[3]));
        } else if (type == LDNS_RR_TYPE_AAAA && ldns_rdf_size(data) == 16) {
            std::array<std::uint8_t, 16> bytes{};
            std::copy_n(ldns_rdf_data(data), 16, bytes.begin());
            out.push_back(IpAddress::from_v6(bytes));
        } else {
            continue;
        }
        ttl = std::min<std::uint32_t>(ttl, ldns_rr_ttl(rr));
    }
    ldns_pkt_free(packet);
    return out;
}

BootstrapResolver::BootstrapResolver(boost::asio::any_io_executor executor, std::string name,
                                     const UpstreamOptions& options)
    : executor_(std::move(executor)), name_(std::move(name)) {
    UpstreamOptions plain;
    plain.timeout = options.timeout;
    plain.routing_mark = options.routing_mark;
    for (const auto& spec : options.bootstrap) {
        bool plain_scheme =
            spec.scheme == UpstreamSpec::Scheme::udp || spec.scheme == UpstreamSpec::Scheme::tcp;
        if (!plain_scheme || spec.needs_bootstrap())
            throw std::invalid_argument("bootstrap upstream \"" + spec.text +
                                        "\" must be udp:// or tcp:// with an IP address");
        upstreams_.push_back(make_upstream(executor_, spec, plain));
    }
}

void BootstrapResolver::resolve(Callback callback) {
    if (closed_) {
        boost::asio::post(executor_, [callback = std::move(callback)] {
            callback(boost::asio::error::operation_aborted, {});
        });
        return;
    }
    if (!cached_.empty() && std::chrono::steady_clock::now() < cached_until_) {
        boost::asio::post(executor_, [callback = std::move(callback), addresses = cached_] {
            callback({}, addresses);
        });
        return;
    }
    waiting_.push_back(std::move(callback));
    if (!looking_up_) start_lookup();
}

void BootstrapResolver::close() {
    closed_ = true;
    for (auto& upstream : upstreams_) upstream->close();
}

void BootstrapResolver::start_lookup() {
    if (upstreams_.empty()) {
        finish(UpstreamErrc::no_bootstrap, {}, 0);
        return;
    }
    looking_up_ = true;
    ask(std::make_shared<Lookup>());
}

void BootstrapResolver::ask(std::shared_ptr<Lookup> lookup) {
    if (lookup->type_index == kTypes.size()) {
        if (!lookup->addresses.empty()) {
            finish({}, std::move(lookup->addresses), lookup->ttl);
        } else {
            finish(
                lookup->any_answer ? make_error_code(UpstreamErrc::no_address) : lookup->last_error,
                {}, 0);
        }
        return;
    }
    auto query = message::make_query(random_id(), name_, kTypes[lookup->type_index]);
    auto& upstream = upstreams_[lookup->upstream_index];
    upstream->query(query, [self = shared_from_this(), lookup](boost::system::error_code ec,
                                                               std::vector<std::uint8_t> answer) {
        if (ec) {
            lookup->last_error = ec;
            // The next bootstrap upstream, or give up on this type.
            if (++lookup->upstream_index == self->upstreams_.size()) {
                lookup->upstream_index = 0;
                ++lookup->type_index;
            }
        } else {
            lookup->any_answer = true;
            auto found = addresses_in_answer(answer, lookup->ttl);
            lookup->addresses.insert(lookup->addresses.end(), found.begin(), found.end());
            lookup->upstream_index = 0;
            // IPv4 addresses are enough to dial: no second round trip for AAAA.
            lookup->type_index = lookup->addresses.empty() ? lookup->type_index + 1 : kTypes.size();
        }
        if (ec == boost::asio::error::operation_aborted) {
            self->finish(ec, {}, 0);
            return;
        }
        self->ask(lookup);
    });
}

void BootstrapResolver::finish(boost::system::error_code ec, std::vector<IpAddress> addresses,
                               std::uint32_t ttl) {
    looking_up_ = false;
    if (!ec) {
        cached_ = addresses;
        cached_until_ = std::chrono::steady_clock::now() + std::chrono::seconds(ttl);
    }
    auto waiting = std::move(waiting_);
    waiting_.clear();
    // Posted: a caller must never be re-entered from inside its own resolve() call.
    boost::asio::post(executor_, [waiting = std::move(waiting), ec, addresses] {
        for (const auto& callback : waiting) callback(ec, addresses);
    });
}

}  // namespace shunt::dns
