// The domestic/foreign split (DESIGN.md, "DNS pollution"): both groups are asked at
// once; the domestic answer is kept when one of its addresses lies in the domestic IP
// set, otherwise the foreign answer is used. This class holds only the decision, fed
// with each group's outcome as it arrives, so every ordering can be tested alone.
//
//   domestic good, an address in the set      → domestic, at once
//   domestic good, none in the set (incl. no
//     addresses: TXT, NODATA, NXDOMAIN)        → foreign when it is good, else domestic
//   domestic failed                            → foreign when it is good, else failure
#pragma once

#include <memory>
#include <optional>

#include "dns/resolve/ip_set.hpp"
#include "dns/resolve/upstream_outcome.hpp"

namespace shunt::dns {

class SplitRace {
  public:
    enum class Winner { domestic, foreign, neither };
    struct Decision {
        Winner winner = Winner::neither;
        UpstreamOutcome outcome;  // what to answer with (a failure for `neither`)
        const char* reason = "";  // for the debug log
        // False for a fallback (domestic answer outside the set taken only because the
        // foreign group failed): it may be a polluted answer, so it is not cached.
        bool cacheable = false;
    };

    // Shared: a race may outlive the resolver that started it by a stray callback.
    explicit SplitRace(std::shared_ptr<const IpSet> domestic_set)
        : domestic_set_(std::move(domestic_set)) {}

    // Each returns the decision once it can be made, nullopt while it must wait for the
    // other side. After a decision further calls return nullopt.
    std::optional<Decision> on_domestic(UpstreamOutcome outcome);
    std::optional<Decision> on_foreign(UpstreamOutcome outcome);

  private:
    enum class DomesticState { pending, in_set, outside_set, failed };
    enum class ForeignState { pending, good, failed };

    std::optional<Decision> decide();
    Decision take(Winner winner, UpstreamOutcome& outcome, const char* reason, bool cacheable);

    std::shared_ptr<const IpSet> domestic_set_;
    DomesticState domestic_state_ = DomesticState::pending;
    ForeignState foreign_state_ = ForeignState::pending;
    UpstreamOutcome domestic_;
    UpstreamOutcome foreign_;
    bool decided_ = false;
};

}  // namespace shunt::dns
