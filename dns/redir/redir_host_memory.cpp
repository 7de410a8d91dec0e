#include "dns/redir/redir_host_memory.hpp"

#include "dns/wire/ldns.hpp"

#include <cstring>

namespace shunt::dns {

std::size_t RedirHostMemory::AddressHash::operator()(const IpAddress& a) const noexcept {
    std::uint64_t hi = 0, lo = 0;
    std::memcpy(&hi, a.bytes().data(), 8);
    std::memcpy(&lo, a.bytes().data() + 8, 8);
    return std::hash<std::uint64_t>{}(hi * 0x9E3779B97F4A7C15ull ^ lo ^
                                      static_cast<std::uint64_t>(a.family()));
}

void RedirHostMemory::remember(std::string_view name, const std::vector<IpAddress>& addresses) {
    std::lock_guard lock(mutex_);
    for (const auto& address : addresses) {
        auto it = entries_.find(address);
        if (it != entries_.end()) {
            it->second.name.assign(name);
            order_.splice(order_.begin(), order_, it->second.position);
            continue;
        }
        order_.push_front(address);
        entries_.emplace(address, Entry{std::string(name), order_.begin()});
    }
    evict_locked();
}

std::optional<std::string> RedirHostMemory::lookup(const IpAddress& address) const {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(address);
    if (it == entries_.end()) return std::nullopt;
    return it->second.name;
}

std::size_t RedirHostMemory::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

void RedirHostMemory::set_capacity(std::size_t capacity) {
    std::lock_guard lock(mutex_);
    capacity_ = capacity;
    evict_locked();
}

void RedirHostMemory::evict_locked() {
    while (entries_.size() > capacity_) {
        entries_.erase(order_.back());
        order_.pop_back();
    }
}

std::vector<IpAddress> answer_addresses(const std::vector<std::uint8_t>& response) {
    std::vector<IpAddress> addresses;
    ldns_pkt* pkt = nullptr;
    if (ldns_wire2pkt(&pkt, response.data(), response.size()) != LDNS_STATUS_OK) return addresses;
    ldns_rr_list* answers = ldns_pkt_answer(pkt);
    for (std::size_t i = 0; answers && i < ldns_rr_list_rr_count(answers); ++i) {
        ldns_rr* rr = ldns_rr_list_rr(answers, i);
        ldns_rdf* rdf = ldns_rr_rdf(rr, 0);
        if (!rdf) continue;
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_A && ldns_rdf_size(rdf) == 4) {
            const std::uint8_t* d = ldns_rdf_data(rdf);
            addresses.push_back(IpAddress::from_v4((std::uint32_t{d[0]} << 24) |
                                                   (std::uint32_t{d[1]} << 16) |
                                                   (std::uint32_t{d[2]} << 8) | d[3]));
        } else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_AAAA && ldns_rdf_size(rdf) == 16) {
            std::array<std::uint8_t, 16> bytes;
            std::memcpy(bytes.data(), ldns_rdf_data(rdf), 16);
            addresses.push_back(IpAddress::from_v6(bytes));
        }
    }
    ldns_pkt_free(pkt);
    return addresses;
}

}  // namespace shunt::dns
