// redir-host mode: shunt answers with real addresses and remembers which name each
// address was the answer for, so a later connection to that address can be mapped
// back to its domain (the same reverse lookup the fake-IP pool gives). Bounded: the
// least recently answered pairs are forgotten first.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "net/ip_address.hpp"

namespace shunt::dns {

class RedirHostMemory {
  public:
    explicit RedirHostMemory(std::size_t capacity) : capacity_(capacity) {}

    // Told every address remember() is given, before remember() returns (so before the
    // answer leaves): the eBPF bypass must stop marking an address once it has a name.
    using Listener = std::function<void(const std::vector<IpAddress>&)>;
    void set_listener(Listener listener) { listener_ = std::move(listener); }

    // Two names answered with the same address (shared CDN hosts): the latest wins,
    // which is the one a connection opened right after is most likely for.
    void remember(std::string_view name, const std::vector<IpAddress>& addresses);
    std::optional<std::string> lookup(const IpAddress& address) const;
    std::size_t size() const;
    void set_capacity(std::size_t capacity);

  private:
    struct AddressHash {
        std::size_t operator()(const IpAddress& a) const noexcept;
    };
    using Order = std::list<IpAddress>;  // front: most recent
    struct Entry {
        std::string name;
        Order::iterator position;
    };

    void evict_locked();

    mutable std::mutex mutex_;
    std::size_t capacity_;
    Listener listener_;  // set once at start, before any query
    Order order_;
    std::unordered_map<IpAddress, Entry, AddressHash> entries_;
};

}  // namespace shunt::dns
