// ProbingGroup: the `url-test` and `fallback` groups. Every `interval` it probes the URL
// through each member (probe_url; all members at once) and keeps, per member, whether the
// last probe worked and how long it took.
//  - url-test: the member with the lowest delay; the current choice is kept unless another
//    is faster by more than `tolerance` (no flapping between two similar proxies).
//  - fallback: the first member, in the configured order, whose last probe worked.
// Before the first round has answered, and when no member works, the first member is
// used (a flow then fails with that member's own reason). Probing starts with the first
// flow through the group, so an unused group sends nothing. The user may pin a member
// (the API's PUT /proxies/{group}): it is used whatever the probes say until unpinned.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "outbound/group/url_probe.hpp"
#include "outbound/outbound.hpp"

namespace shunt::outbound {

struct ProbeOptions {
    ProbeTarget target;
    std::chrono::milliseconds interval{300'000};
    std::chrono::milliseconds timeout{5'000};
    std::chrono::milliseconds tolerance{50};  // url-test only
};

class ProbingGroup final : public Outbound {
  public:
    struct MemberHealth {
        bool probed = false;
        bool alive = false;
        std::chrono::milliseconds delay{0};
        std::string error;
    };

    // `type` is url_test or fallback; `members` is non-empty.
    ProbingGroup(boost::asio::any_io_executor executor, std::string name, OutboundType type,
                 std::vector<std::shared_ptr<Outbound>> members, ProbeOptions options);
    ~ProbingGroup() override;

    const std::string& name() const override { return name_; }
    OutboundType type() const override { return type_; }
    void connect(const Target& target, ConnectHandler handler) override;
    std::unique_ptr<UdpOutbound> open_udp(const Target& target, const Endpoint& as_seen,
                                          std::string& refusal) override;

    // Starts the probe rounds now (they otherwise start with the first flow).
    void start_probing();
    Outbound& selected() const { return *members_[selected_]; }
    const Outbound* selected_member() const override { return &selected(); }
    const std::vector<std::shared_ptr<Outbound>>& members() const override { return members_; }
    // "" when pinned, else why not.
    std::string pin(std::string_view member);
    void unpin();
    const Outbound* pinned() const;  // nullptr when the probes choose
    const std::vector<MemberHealth>& health() const { return health_; }
    // Probe rounds that have completed.
    std::uint64_t rounds() const { return rounds_; }

  private:
    void probe_round();
    void on_probe(std::size_t member, bool ok, std::chrono::milliseconds delay,
                  const std::string& error);
    void choose();
    void arm_next_round();

    boost::asio::any_io_executor executor_;
    std::string name_;
    OutboundType type_;
    std::vector<std::shared_ptr<Outbound>> members_;
    ProbeOptions options_;
    std::vector<MemberHealth> health_;
    std::size_t selected_ = 0;
    std::optional<std::size_t> pinned_;
    std::size_t outstanding_ = 0;  // probes of the current round still running
    std::uint64_t rounds_ = 0;
    bool started_ = false;
    boost::asio::steady_timer timer_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shunt::outbound
