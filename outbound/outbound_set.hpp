// OutboundSet: every outbound by name — the built-in DIRECT and REJECT, each configured
// proxy and group, and GLOBAL (the selector `global` mode sends everything to). The flow
// routers look a rule's target up here; the REST API switches selectors through select().
// Lives on the netstack's loop: no locks, calls from elsewhere are posted there.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "outbound/outbound.hpp"

namespace shunt::outbound {

class SelectGroup;

class OutboundSet {
  public:
    // Takes DIRECT and REJECT; proxies and groups are added before GLOBAL is built.
    OutboundSet(std::shared_ptr<Outbound> direct, std::shared_ptr<Outbound> reject);

    // Throws std::invalid_argument on a duplicate name (the config loader prevents it).
    void add(std::shared_ptr<Outbound> outbound);
    // GLOBAL: a selector over every proxy and group, then DIRECT and REJECT, in the order
    // added. It starts on the first proxy (switching to global mode means "through the
    // proxy"), or on DIRECT when there is none.
    void build_global();

    // nullptr when nothing has that name.
    Outbound* find(std::string_view name) const;
    // The same, owning: a reload hands unchanged outbounds on to the new set.
    std::shared_ptr<Outbound> find_shared(std::string_view name) const;
    // The outbounds in the order added (DIRECT, REJECT, proxies and groups, GLOBAL).
    const std::vector<std::shared_ptr<Outbound>>& all() const { return ordered_; }

    // Switches the select group `group` (or GLOBAL) to `member`, or pins a url-test or
    // fallback group to it. Returns "" on success, else why not ("no group named x", "x is
    // a socks5 outbound, not a group", "y is not a member of x").
    std::string select(std::string_view group, std::string_view member);
    // Lets a url-test or fallback group choose by its probes again; false for anything else.
    bool unpin(std::string_view group);

    // Every select group's (and GLOBAL's) current member, and every pin: a reload carries
    // the user's choices over to the new set with carry_over().
    std::vector<std::pair<std::string, std::string>> selections() const;
    // Applies `selections` where the group and member still exist; returns how many did.
    std::size_t carry_over(const std::vector<std::pair<std::string, std::string>>& selections);

  private:
    std::unordered_map<std::string, std::shared_ptr<Outbound>> by_name_;
    std::vector<std::shared_ptr<Outbound>> ordered_;
};

}  // namespace shunt::outbound
