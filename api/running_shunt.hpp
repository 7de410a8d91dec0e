// RunningShunt: what the control API reads and drives of a running `shunt run` — the
// config it runs with, the mode and log level, a reload, the outbounds, the rule sets.
// The app implements it (app/app.cpp); every call is made on the app's event loop, where
// those parts live. Kept small: each endpoint family takes what it needs from here.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/logging.hpp"
#include "config/config.hpp"
#include "ebpf/bypass_status.hpp"
#include "rules/parse/mode.hpp"

namespace shunt::outbound {
class OutboundSet;
}

namespace shunt::api {

// One [rule_sets.NAME] as last read.
struct RuleSetState {
    std::string name;
    rules::RuleSetBehavior behavior = rules::RuleSetBehavior::domain;
    std::size_t entries = 0;
    std::chrono::system_clock::time_point read_at;
};

class RunningShunt {
  public:
    virtual ~RunningShunt() = default;

    // The configuration running now (after reloads; keys a reload could not apply keep
    // their running values).
    virtual std::shared_ptr<const Config> config() const = 0;

    virtual rules::Mode mode() const = 0;
    // For connections from now on; a reload keeps it unless the file's `mode` changed.
    virtual void set_mode(rules::Mode mode) = 0;
    virtual LogLevel log_level() const = 0;
    virtual void set_log_level(LogLevel level) = 0;

    // Reloads the config file exactly as SIGHUP does. The errors, "file:line:col: key:
    // why" each, when the running configuration was kept; empty when it reloaded.
    virtual std::vector<std::string> reload() = 0;

    // Every outbound by name (DIRECT, REJECT, proxies, groups, GLOBAL).
    virtual outbound::OutboundSet& outbounds() = 0;
    // A selection or pin changed through the API: the app keeps it across restarts.
    virtual void selections_changed() = 0;

    virtual std::vector<RuleSetState> rule_sets() const = 0;
    // Reads every rule-set file again and swaps the rules at once; the errors when the
    // running rules were kept.
    virtual std::vector<std::string> reread_rule_sets() = 0;

    // The eBPF bypass (GET /ebpf); nullopt when [ebpf] enable was false at start.
    virtual std::optional<ebpf::BypassStatus> bypass_status() const = 0;
};

}  // namespace shunt::api
