#include "dns/resolve/split_race.hpp"

#include <algorithm>

#include "dns/resolve/message_scan.hpp"

namespace shunt::dns {

std::optional<SplitRace::Decision> SplitRace::on_domestic(UpstreamOutcome outcome) {
    if (decided_ || domestic_state_ != DomesticState::pending) return std::nullopt;
    domestic_state_ = DomesticState::failed;
    if (outcome.good) {
        domestic_state_ = DomesticState::outside_set;
        if (auto scanned = scan_message(outcome.response)) {
            auto addresses = scanned_addresses(outcome.response, *scanned);
            if (std::any_of(addresses.begin(), addresses.end(),
                            [&](const IpAddress& a) { return domestic_set_->contains(a); }))
                domestic_state_ = DomesticState::in_set;
        }
    }
    domestic_ = std::move(outcome);
    return decide();
}

std::optional<SplitRace::Decision> SplitRace::on_foreign(UpstreamOutcome outcome) {
    if (decided_ || foreign_state_ != ForeignState::pending) return std::nullopt;
    foreign_state_ = outcome.good ? ForeignState::good : ForeignState::failed;
    foreign_ = std::move(outcome);
    return decide();
}

SplitRace::Decision SplitRace::take(Winner winner, UpstreamOutcome& outcome, const char* reason,
                                    bool cacheable) {
    decided_ = true;
    return Decision{winner, std::move(outcome), reason, cacheable};
}

std::optional<SplitRace::Decision> SplitRace::decide() {
    switch (domestic_state_) {
        case DomesticState::in_set:
            return take(Winner::domestic, domestic_, "domestic answer has an address in the IP set",
                        true);
        case DomesticState::pending:
            // A foreign answer alone decides nothing: the domestic one may still be in
            // the set. Only waiting is possible.
            return std::nullopt;
        case DomesticState::outside_set:
            if (foreign_state_ == ForeignState::good)
                return take(Winner::foreign, foreign_,
                            "domestic answer has no address in the IP set", true);
            if (foreign_state_ == ForeignState::failed)
                return take(Winner::domestic, domestic_,
                            "domestic answer outside the IP set, but the foreign group failed",
                            false);
            return std::nullopt;
        case DomesticState::failed:
            if (foreign_state_ == ForeignState::good)
                return take(Winner::foreign, foreign_, "domestic group failed", true);
            if (foreign_state_ == ForeignState::failed) {
                // Neither is good; pass on an upstream's own failure answer if any.
                UpstreamOutcome& failure = domestic_.response.empty() ? foreign_ : domestic_;
                return take(Winner::neither, failure, "both groups failed", false);
            }
            return std::nullopt;
    }
    return std::nullopt;
}

}  // namespace shunt::dns
