#include "outbound/group/select_group.hpp"

#include <stdexcept>

namespace shunt::outbound {

SelectGroup::SelectGroup(std::string name, std::vector<std::shared_ptr<Outbound>> members)
    : name_(std::move(name)), members_(std::move(members)) {
    if (members_.empty()) throw std::invalid_argument("select group " + name_ + " has no members");
}

void SelectGroup::connect(const Target& target, ConnectHandler handler) {
    selected().connect(target, std::move(handler));
}

std::unique_ptr<UdpOutbound> SelectGroup::open_udp(const Target& target, const Endpoint& as_seen,
                                                   std::string& refusal) {
    return selected().open_udp(target, as_seen, refusal);
}

std::string SelectGroup::select(std::string_view member) {
    for (std::size_t i = 0; i < members_.size(); ++i) {
        if (members_[i]->name() == member) {
            selected_ = i;
            return {};
        }
    }
    return std::string(member) + " is not a member of " + name_;
}

}  // namespace shunt::outbound
