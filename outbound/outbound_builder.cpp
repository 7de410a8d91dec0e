#include "outbound/outbound_builder.hpp"

#include <unordered_map>

#include "outbound/direct/direct_outbound.hpp"
#include "outbound/group/probing_group.hpp"
#include "outbound/group/select_group.hpp"
#include "outbound/mux/client/mux_outbound.hpp"
#include "outbound/reject_outbound.hpp"
#include "outbound/socks5/socks5_outbound.hpp"

namespace shunt::outbound {

namespace {

// What every proxy's options hold: who it is, where, and the [tun] settings for sockets.
template <typename Options>
Options proxy_options(const Config& config, const ProxyConfig& proxy) {
    Options options;
    options.name = proxy.name;
    options.server = proxy.server;
    options.port = proxy.port;
    options.routing_mark = config.tun.routing_mark;
    options.connect_timeout = config.tun.connect_timeout;
    return options;
}

std::shared_ptr<Outbound> make_proxy(const Config& config, const ProxyConfig& proxy,
                                     const boost::asio::any_io_executor& executor,
                                     const AddressLookup& lookup,
                                     mux::CarrierThreads* carrier_threads) {
    if (proxy.type == ProxyType::socks5) {
        auto options = proxy_options<Socks5Options>(config, proxy);
        options.username = proxy.socks5.username;
        options.password = proxy.socks5.password;
        options.udp = proxy.socks5.udp;
        return std::make_shared<Socks5Outbound>(executor, options, lookup);
    }
    auto options = proxy_options<mux::MuxClientOptions>(config, proxy);
    options.password = proxy.mux.password;
    options.ca_file = proxy.mux.ca_file;
    options.fingerprint = proxy.mux.fingerprint;
    options.sni = proxy.mux.sni;
    options.carriers = static_cast<std::size_t>(proxy.mux.carriers);
    options.udp = proxy.mux.udp;
    options.carrier.keepalive_interval = proxy.mux.keepalive_interval;
    options.carrier.keepalive_timeout = proxy.mux.keepalive_timeout;
    return std::make_shared<mux::MuxOutbound>(executor, options, lookup, carrier_threads);
}

std::shared_ptr<Outbound> make_group(const GroupConfig& group,
                                     std::vector<std::shared_ptr<Outbound>> members,
                                     const boost::asio::any_io_executor& executor) {
    if (group.type == GroupType::select)
        return std::make_shared<SelectGroup>(group.name, std::move(members));
    ProbeOptions probe;
    probe.target = {group.url.host, group.url.port, group.url.path, group.url.tls};
    probe.interval = group.interval;
    probe.timeout = group.timeout;
    probe.tolerance = group.tolerance;
    return std::make_shared<ProbingGroup>(
        executor, group.name,
        group.type == GroupType::url_test ? OutboundType::url_test : OutboundType::fallback,
        std::move(members), probe);
}

// The running outbound `name` when `unchanged` says its settings are; else nullptr.
std::shared_ptr<Outbound> take_over(const RunningOutbounds* running, const std::string& name,
                                    bool unchanged) {
    return running != nullptr && unchanged ? running->set.find_shared(name) : nullptr;
}

template <typename Section>
const Section* find_section(const std::vector<Section>& sections, const std::string& name) {
    for (const auto& section : sections)
        if (section.name == name) return &section;
    return nullptr;
}

}  // namespace

BuiltOutbounds build_outbounds(const Config& config, boost::asio::any_io_executor executor,
                               AddressLookup lookup, const RunningOutbounds* running,
                               mux::CarrierThreads* carrier_threads) {
    // Every outbound is made with these; when they changed, nothing is taken over.
    if (running != nullptr && (running->config.tun.routing_mark != config.tun.routing_mark ||
                               running->config.tun.connect_timeout != config.tun.connect_timeout))
        running = nullptr;
    BuiltOutbounds result;
    std::shared_ptr<Outbound> direct_outbound = take_over(running, "DIRECT", true);
    if (!direct_outbound) {
        DirectOptions direct;
        direct.routing_mark = config.tun.routing_mark;
        direct.connect_timeout = config.tun.connect_timeout;
        direct_outbound = std::make_shared<DirectOutbound>(executor, direct, lookup);
    }
    std::shared_ptr<Outbound> reject = take_over(running, "REJECT", true);
    if (!reject) reject = std::make_shared<RejectOutbound>(executor);
    result.set = std::make_shared<OutboundSet>(std::move(direct_outbound), std::move(reject));
    auto& set = result.set;
    std::unordered_map<std::string, std::shared_ptr<Outbound>> built;
    for (const auto& outbound : set->all()) built.emplace(outbound->name(), outbound);
    for (const auto& proxy : config.proxies) {
        const auto* was = running ? find_section(running->config.proxies, proxy.name) : nullptr;
        auto outbound = take_over(running, proxy.name, was && *was == proxy);
        ++(outbound ? result.kept : result.rebuilt);
        if (!outbound) outbound = make_proxy(config, proxy, executor, lookup, carrier_threads);
        built.emplace(proxy.name, outbound);
        set->add(std::move(outbound));
    }
    // Groups may name groups declared later; the loader rejected cycles, so building
    // whatever has all its members ready, round after round, ends.
    std::vector<const GroupConfig*> pending;
    for (const auto& group : config.groups) pending.push_back(&group);
    while (!pending.empty()) {
        const std::size_t before = pending.size();
        std::erase_if(pending, [&](const GroupConfig* group) {
            std::vector<std::shared_ptr<Outbound>> members;
            bool same_members = true;
            for (const auto& name : group->proxies) {
                const auto it = built.find(name);
                if (it == built.end()) return false;
                members.push_back(it->second);
                same_members = same_members && running != nullptr &&
                               running->set.find(name) == it->second.get();
            }
            const auto* was = running ? find_section(running->config.groups, group->name) : nullptr;
            auto outbound = take_over(running, group->name, same_members && was && *was == *group);
            ++(outbound ? result.kept : result.rebuilt);
            if (!outbound) outbound = make_group(*group, std::move(members), executor);
            built.emplace(group->name, std::move(outbound));
            return true;
        });
        if (pending.size() == before)
            throw std::invalid_argument("groups: a member is missing or groups form a cycle");
    }
    // In the file's order (what the API lists), whatever order they were built in.
    for (const auto& group : config.groups) set->add(built.at(group.name));
    set->build_global();
    return result;
}

}  // namespace shunt::outbound
