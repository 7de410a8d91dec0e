#include "outbound/group/probing_group.hpp"

#include <spdlog/spdlog.h>

namespace shunt::outbound {

ProbingGroup::ProbingGroup(boost::asio::any_io_executor executor, std::string name,
                           OutboundType type, std::vector<std::shared_ptr<Outbound>> members,
                           ProbeOptions options)
    : executor_(executor),
      name_(std::move(name)),
      type_(type),
      members_(std::move(members)),
      options_(std::move(options)),
      health_(members_.size()),
      timer_(executor) {
    if (members_.empty()) throw std::invalid_argument("group " + name_ + " has no members");
}

ProbingGroup::~ProbingGroup() {
    *alive_ = false;
    timer_.cancel();
}

void ProbingGroup::connect(const Target& target, ConnectHandler handler) {
    start_probing();
    selected().connect(target, std::move(handler));
}

std::unique_ptr<UdpOutbound> ProbingGroup::open_udp(const Target& target, const Endpoint& as_seen,
                                                    std::string& refusal) {
    start_probing();
    return selected().open_udp(target, as_seen, refusal);
}

void ProbingGroup::start_probing() {
    if (started_) return;
    started_ = true;
    probe_round();
}

void ProbingGroup::probe_round() {
    outstanding_ = members_.size();
    for (std::size_t i = 0; i < members_.size(); ++i) {
        probe_url(executor_, *members_[i], options_.target, options_.timeout,
                  [this, i, alive = std::weak_ptr<bool>(alive_)](const ProbeResult& result) {
                      if (alive.expired()) return;
                      on_probe(i, result.ok, result.delay, result.error);
                  });
    }
}

void ProbingGroup::on_probe(std::size_t member, bool ok, std::chrono::milliseconds delay,
                            const std::string& error) {
    auto& health = health_[member];
    if (health.probed && health.alive != ok)
        spdlog::info("group {}: {} is {}{}", name_, members_[member]->name(),
                     ok ? "up" : "down: ", ok ? "" : error);
    health.probed = true;
    health.alive = ok;
    health.delay = delay;
    health.error = error;
    choose();
    if (--outstanding_ == 0) {
        ++rounds_;
        arm_next_round();
    }
}

std::string ProbingGroup::pin(std::string_view member) {
    for (std::size_t i = 0; i < members_.size(); ++i) {
        if (members_[i]->name() != member) continue;
        pinned_ = i;
        if (selected_ != i) spdlog::info("group {}: pinned to {}", name_, member);
        selected_ = i;
        return {};
    }
    return std::string(member) + " is not a member of " + name_;
}

void ProbingGroup::unpin() {
    if (!pinned_) return;
    pinned_.reset();
    spdlog::info("group {}: unpinned", name_);
    // As if the probes chose from the start: the first member unless one answers better.
    selected_ = 0;
    choose();
}

const Outbound* ProbingGroup::pinned() const {
    return pinned_ ? members_[*pinned_].get() : nullptr;
}

void ProbingGroup::choose() {
    // The user's pin holds until it is lifted: probes still run and are recorded.
    if (pinned_) {
        selected_ = *pinned_;
        return;
    }
    const std::size_t before = selected_;
    if (type_ == OutboundType::fallback) {
        for (std::size_t i = 0; i < members_.size(); ++i) {
            if (health_[i].alive) {
                selected_ = i;
                break;
            }
        }
    } else {
        std::size_t best = selected_;
        for (std::size_t i = 0; i < members_.size(); ++i) {
            if (!health_[i].alive) continue;
            if (!health_[best].alive || health_[i].delay < health_[best].delay) best = i;
        }
        // Keep the current member unless the best is clearly faster (or it is down).
        const auto& current = health_[selected_];
        if (!current.alive ||
            (health_[best].alive && health_[best].delay + options_.tolerance < current.delay))
            selected_ = best;
    }
    if (selected_ != before)
        spdlog::info("group {}: now using {} ({} ms)", name_, members_[selected_]->name(),
                     health_[selected_].delay.count());
}

void ProbingGroup::arm_next_round() {
    timer_.expires_after(options_.interval);
    timer_.async_wait(
        [this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
            if (ec || alive.expired()) return;
            probe_round();
        });
}

}  // namespace shunt::outbound
