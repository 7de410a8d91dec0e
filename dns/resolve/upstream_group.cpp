#include "dns/resolve/upstream_group.hpp"

#include <spdlog/spdlog.h>

#include <boost/system/errc.hpp>

#include "dns/resolve/message_scan.hpp"

namespace shunt::dns {

namespace {

// One group query in flight; shared by every member's callback.
struct GroupRace {
    std::size_t pending = 0;
    bool finished = false;
    UpstreamOutcome last_failure;
    UpstreamGroup::Callback callback;

    void finish(UpstreamOutcome outcome) {
        finished = true;
        auto cb = std::move(callback);
        cb(std::move(outcome));
    }
};

}  // namespace

UpstreamGroup::UpstreamGroup(std::string name, std::vector<std::shared_ptr<Upstream>> members)
    : name_(std::move(name)), members_(std::move(members)) {}

void UpstreamGroup::query(std::span<const std::uint8_t> wire_query, Callback callback) const {
    auto race = std::make_shared<GroupRace>();
    race->callback = std::move(callback);
    race->last_failure.error = make_error_code(boost::system::errc::no_such_device_or_address);
    // Counted before the first query: a member may call back during query().
    race->pending = members_.size();
    if (members_.empty()) {
        race->finish(std::move(race->last_failure));
        return;
    }
    for (const auto& member : members_) {
        // The callback holds its member: a reload may drop the group while a losing
        // member is still busy, and the URL is needed for the log line then.
        member->query(wire_query, [race, member, group = name_](
                                      boost::system::error_code ec,
                                      std::vector<std::uint8_t> response) {
            const std::string& source = member->spec().text;
            if (race->finished) return;
            --race->pending;
            if (ec) {
                spdlog::debug("dns: {} upstream {} failed: {}", group, source, ec.message());
                if (race->last_failure.response.empty()) race->last_failure.error = ec;
            } else if (auto scanned = scan_message(response); !scanned) {
                spdlog::debug("dns: {} upstream {} sent a malformed answer", group, source);
                if (race->last_failure.response.empty())
                    race->last_failure.error = make_error_code(boost::system::errc::bad_message);
            } else if (unsigned code = scanned->rcode();
                       code == static_cast<unsigned>(Rcode::noerror) ||
                       code == static_cast<unsigned>(Rcode::nxdomain)) {
                race->finish({true, std::move(response), {}, source});
                return;
            } else {
                spdlog::debug("dns: {} upstream {} answered rcode {}", group, source, code);
                race->last_failure = {false, std::move(response), {}, source};
            }
            if (race->pending == 0) race->finish(std::move(race->last_failure));
        });
    }
}

}  // namespace shunt::dns
