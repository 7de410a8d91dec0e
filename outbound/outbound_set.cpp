#include "outbound/outbound_set.hpp"

#include <stdexcept>

#include "outbound/group/probing_group.hpp"
#include "outbound/group/select_group.hpp"

namespace shunt::outbound {

OutboundSet::OutboundSet(std::shared_ptr<Outbound> direct, std::shared_ptr<Outbound> reject) {
    add(std::move(direct));
    add(std::move(reject));
}

void OutboundSet::add(std::shared_ptr<Outbound> outbound) {
    const std::string name = outbound->name();
    if (!by_name_.emplace(name, outbound).second)
        throw std::invalid_argument("two outbounds named " + name);
    ordered_.push_back(std::move(outbound));
}

void OutboundSet::build_global() {
    std::vector<std::shared_ptr<Outbound>> members;
    for (const auto& outbound : ordered_) {
        if (outbound->type() != OutboundType::direct && outbound->type() != OutboundType::reject)
            members.push_back(outbound);
    }
    for (const auto& outbound : ordered_) {
        if (outbound->type() == OutboundType::direct || outbound->type() == OutboundType::reject)
            members.push_back(outbound);
    }
    add(std::make_shared<SelectGroup>("GLOBAL", std::move(members)));
}

Outbound* OutboundSet::find(std::string_view name) const {
    return find_shared(name).get();
}

std::shared_ptr<Outbound> OutboundSet::find_shared(std::string_view name) const {
    const auto it = by_name_.find(std::string(name));
    return it == by_name_.end() ? nullptr : it->second;
}

namespace {

bool is_probing(const Outbound& outbound) {
    return outbound.type() == OutboundType::url_test || outbound.type() == OutboundType::fallback;
}

}  // namespace

std::string OutboundSet::select(std::string_view group, std::string_view member) {
    Outbound* outbound = find(group);
    if (outbound == nullptr) return "no group named " + std::string(group);
    if (outbound->type() == OutboundType::select)
        return static_cast<SelectGroup*>(outbound)->select(member);
    if (is_probing(*outbound)) return static_cast<ProbingGroup*>(outbound)->pin(member);
    return std::string(group) + " is a " + std::string(to_string(outbound->type())) +
           " outbound, not a group";
}

bool OutboundSet::unpin(std::string_view group) {
    Outbound* outbound = find(group);
    if (outbound == nullptr || !is_probing(*outbound)) return false;
    static_cast<ProbingGroup*>(outbound)->unpin();
    return true;
}

std::vector<std::pair<std::string, std::string>> OutboundSet::selections() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& outbound : ordered_) {
        if (outbound->type() == OutboundType::select) {
            out.emplace_back(outbound->name(),
                             static_cast<const SelectGroup&>(*outbound).selected().name());
        } else if (is_probing(*outbound)) {
            if (const auto* pinned = static_cast<const ProbingGroup&>(*outbound).pinned())
                out.emplace_back(outbound->name(), pinned->name());
        }
    }
    return out;
}

std::size_t OutboundSet::carry_over(
    const std::vector<std::pair<std::string, std::string>>& selections) {
    std::size_t applied = 0;
    for (const auto& [group, member] : selections) {
        if (select(group, member).empty()) ++applied;
    }
    return applied;
}

}  // namespace shunt::outbound
