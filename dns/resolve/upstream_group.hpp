// A group of upstreams asked as one: the query goes to every member at once and the
// first good answer (NOERROR or NXDOMAIN) wins. A member's SERVFAIL, REFUSED, malformed
// answer or transport error only counts once every member has failed, so one broken
// server never hides a working one. Members answer within their own timeout, so a
// group does too.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dns/resolve/upstream_outcome.hpp"
#include "dns/upstream/upstream.hpp"

namespace shunt::dns {

class UpstreamGroup {
  public:
    using Callback = std::function<void(UpstreamOutcome)>;

    UpstreamGroup(std::string name, std::vector<std::shared_ptr<Upstream>> members);

    // `callback` runs exactly once, from inside a member's callback (possibly during
    // this call, if a member fails at once).
    void query(std::span<const std::uint8_t> wire_query, Callback callback) const;
    const std::string& name() const { return name_; }
    const std::vector<std::shared_ptr<Upstream>>& members() const { return members_; }

  private:
    std::string name_;  // "default", "policy +.example.cn", "domestic", ... for logs
    std::vector<std::shared_ptr<Upstream>> members_;
};

}  // namespace shunt::dns
