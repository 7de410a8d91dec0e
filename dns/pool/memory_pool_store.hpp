// The store for fake_ip_store = "": keeps nothing, so the pool starts empty every run.
#pragma once

#include "dns/pool/pool_store.hpp"

namespace shunt::dns {

class MemoryPoolStore final : public PoolStore {
  public:
    void load(const std::function<void(const PoolRecord&)>& visit) override;
    void record_assign(const IpAddress& address, std::string_view name) override;
    void record_release(const IpAddress& address) override;
    void compact(std::span<const PoolRecord> live) override;
    void flush() override;
    bool is_persistent() const override { return false; }
    std::string describe() const override { return "memory"; }
};

}  // namespace shunt::dns
