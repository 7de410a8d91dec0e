#include "rules/engine/rule_engine.hpp"

#include <stdexcept>

namespace shunt::rules {

std::string_view to_string(Mode mode) {
    switch (mode) {
        case Mode::rule:
            return "rule";
        case Mode::global:
            return "global";
        case Mode::direct:
            return "direct";
    }
    return "?";
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

}  // namespace shunt::rules
