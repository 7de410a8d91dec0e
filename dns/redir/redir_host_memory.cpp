#include "dns/redir/redir_host_memory.hpp"

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
    if (listener_ && !addresses.empty()) listener_(addresses);
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

}  // namespace shunt::dns
