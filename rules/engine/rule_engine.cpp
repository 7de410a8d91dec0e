#include "rules/engine/rule_engine.hpp"

#include <stdexcept>

namespace shunt::rules {

std::string describe(const Verdict& verdict) {
    const Decision& d = verdict.decision;
    std::string out;
    if (verdict.mode != Mode::rule) {
        out = "mode " + std::string(to_string(verdict.mode));
    } else if (d.rule_index == Decision::npos) {
        out = "no rule matched";
    } else {
        out = std::string(rule_type_name(d.type));
        if (!d.payload.empty()) out += "," + std::string(d.payload);
    }
    out += " -> " + std::string(d.target);
    if (verdict.mode == Mode::rule && d.rule_index != Decision::npos)
        out += " (rule " + std::to_string(d.rule_index + 1) + ")";
    return out;
}

RuleEngine::RuleEngine(std::shared_ptr<const CompiledRules> rules, Mode mode) : mode_(mode) {
    if (!rules)
        throw std::invalid_argument("RuleEngine needs a rule list (an empty one means DIRECT)");
    rules_.store(std::move(rules), std::memory_order_release);
}

void RuleEngine::replace(std::shared_ptr<const CompiledRules> rules) {
    if (!rules) throw std::invalid_argument("RuleEngine::replace needs a rule list");
    rules_.store(std::move(rules), std::memory_order_release);
}

Verdict RuleEngine::decide(const ConnectionMetadata& metadata) const {
    Verdict verdict;
    verdict.mode = mode();
    switch (verdict.mode) {
        case Mode::direct:
            verdict.decision.target = "DIRECT";
            return verdict;
        case Mode::global:
            verdict.decision.target = "GLOBAL";
            return verdict;
        case Mode::rule:
            break;
    }
    verdict.rules = rules_.load(std::memory_order_acquire);
    verdict.decision = verdict.rules->evaluate(metadata);
    return verdict;
}

Verdict RuleEngine::resume(const ConnectionMetadata& metadata, const Verdict& first) const {
    if (!first.rules || !first.decision.needs_resolution) return first;
    Verdict verdict = first;
    verdict.decision = first.rules->resume(metadata, first.decision);
    return verdict;
}

}  // namespace shunt::rules
