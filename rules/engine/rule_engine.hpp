// RuleEngine: the object the data path asks "which outbound carries this connection?"
// and the REST API steers (mode, reload).
//
// The compiled rule list is published through an atomic shared_ptr: a reload swaps it
// in one store, a decision loads it once and keeps it (the Verdict holds the
// shared_ptr), so a decision is always made against one whole rule list, never half of
// an old one and half of a new one, and the views in its Decision stay valid for as
// long as the caller keeps the Verdict (connections in flight keep their decision).
// The mode is an atomic enum read once per decision.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>

#include "rules/engine/compiled_rules.hpp"
#include "rules/parse/mode.hpp"

namespace shunt::rules {

struct Verdict {
    Decision decision;
    // What the decision refers to; keeps decision.target / payload alive.
    std::shared_ptr<const CompiledRules> rules;
    Mode mode = Mode::rule;
};

// For logs and the REST API: which rule sent the connection where, e.g.
// "DOMAIN-SUFFIX,example.com -> REJECT (rule 3)", "no rule matched -> DIRECT",
// "mode global -> GLOBAL".
std::string describe(const Verdict& verdict);

class RuleEngine {
  public:
    explicit RuleEngine(std::shared_ptr<const CompiledRules> rules, Mode mode = Mode::rule);

    // In rule mode, the first matching rule (or needs_resolution, see CompiledRules).
    // In global mode the target is "GLOBAL", in direct mode "DIRECT"; rule_index is npos.
    Verdict decide(const ConnectionMetadata& metadata) const;
    // After `first` asked for resolution: the second pass on the same rule list as the
    // first (a reload in between does not mix two lists), with metadata.resolved set (or
    // unset when the name did not resolve: IP rules then miss).
    Verdict resume(const ConnectionMetadata& metadata, const Verdict& first) const;

    void set_mode(Mode mode) { mode_.store(mode, std::memory_order_release); }
    Mode mode() const { return mode_.load(std::memory_order_acquire); }

    // Atomically replaces the rule list (config reload).
    void replace(std::shared_ptr<const CompiledRules> rules);
    std::shared_ptr<const CompiledRules> rules() const {
        return rules_.load(std::memory_order_acquire);
    }

  private:
    std::atomic<std::shared_ptr<const CompiledRules>> rules_;
    std::atomic<Mode> mode_;
};

}  // namespace shunt::rules
