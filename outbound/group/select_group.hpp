// SelectGroup: a `select` group — the member the user chose (the first one until then).
// Also GLOBAL, the selector over every proxy. The choice is switched at runtime through
// OutboundSet::select (the REST API); flows already relaying keep their outbound.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "outbound/outbound.hpp"

namespace shunt::outbound {

class SelectGroup final : public Outbound {
  public:
    // `members` is non-empty (the config loader checks it).
    SelectGroup(std::string name, std::vector<std::shared_ptr<Outbound>> members);

    const std::string& name() const override { return name_; }
    OutboundType type() const override { return OutboundType::select; }
    void connect(const Target& target, ConnectHandler handler) override;
    std::unique_ptr<UdpOutbound> open_udp(const Target& target, const Endpoint& as_seen,
                                          std::string& refusal) override;

    // "" on success, else why not.
    std::string select(std::string_view member);
    Outbound& selected() const { return *members_[selected_]; }
    const Outbound* selected_member() const override { return &selected(); }
    const std::vector<std::shared_ptr<Outbound>>& members() const override { return members_; }

  private:
    std::string name_;
    std::vector<std::shared_ptr<Outbound>> members_;
    std::size_t selected_ = 0;
};

}  // namespace shunt::outbound
