// reload_section: what a reload does with one declared config section — every changed key
// the running service applies is taken from the new file, every other one keeps its
// running value — and the log line each changed key gets.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/fmt/fmt.h>

#include "config/key_spec.hpp"

namespace shunt::app {

using ReloadChanges = std::vector<std::pair<OnReload, std::string>>;

// `not_running` says why an applied key has no effect yet ("" when the service runs).
template <class Section>
Section reload_section(std::string_view table, const SectionSpec<Section>& spec,
                       const Section& running, const Section& loaded, std::string_view not_running,
                       ReloadChanges& changes) {
    Section effective = running;
    for (const auto* key : spec.changed(running, loaded)) {
        // "tun.mtu = 1500", or "dns.hosts changed" for a key too big to show.
        const std::string what =
            key->show ? fmt::format("{}.{} = {}", table, key->name, key->show(loaded))
                      : fmt::format("{}.{} changed:", table, key->name);
        if (key->on_reload == OnReload::applied) {
            key->copy(effective, loaded);
            changes.emplace_back(
                key->on_reload,
                fmt::format("{} {}", what, not_running.empty() ? "applied" : not_running));
        } else {
            changes.emplace_back(
                key->on_reload,
                fmt::format("{} takes effect at the next start; until then it stays {} (what "
                            "runs on it is kept)",
                            what, key->show ? key->show(running) : "as it was"));
        }
    }
    return effective;
}

}  // namespace shunt::app
