#include "ebpf/bypass_service.hpp"

#include <bpf/bpf.h>
#include <net/if.h>

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "config/config_ebpf_reader.hpp"
#include "ebpf/cgroup_attachment.hpp"
#include "ebpf/tc_attachment.hpp"

namespace shunt::ebpf {

rules::AddressSet bypass_exclusions(const Config& config) {
    std::vector<Prefix> prefixes{config.dns.fake_ip_range};
    if (config.dns.fake_ip_range6) prefixes.push_back(*config.dns.fake_ip_range6);
    for (const Endpoint& e : config.tun.dns_hijack) {
        if (!e.address.is_unspecified())
            prefixes.emplace_back(e.address, e.address.is_v4() ? 32 : 128);
    }
    return rules::AddressSet::of(prefixes);
}

namespace {

std::uint32_t program_id_of(int fd) {
    bpf_prog_info info{};
    std::uint32_t length = sizeof info;
    if (bpf_obj_get_info_by_fd(fd, &info, &length) != 0) return 0;
    return info.id;
}

}  // namespace

BypassService::BypassService(boost::asio::any_io_executor executor,
                             std::shared_ptr<const Config> config)
    : timer_(std::move(executor)), config_(std::move(config)) {}

BypassService::~BypassService() {
    stop();
}

std::vector<std::string> BypassService::remove_leftovers() {
    return TcAttachment::remove_leftovers();
}

void BypassService::start(std::shared_ptr<const rules::RuleBypass> rules, rules::Mode mode) {
    rules_ = std::move(rules);
    mode_ = mode;
    const EbpfConfig& ebpf = config_->ebpf;
    try {
        const auto left = remove_leftovers();
        if (!left.empty())
            spdlog::warn("ebpf: removed the tc filter an earlier run left on {} interface(s)",
                         left.size());
        program_ = std::make_unique<BypassProgram>(
            BypassProgram::Sizes{.flows = ebpf.flow_table_size,
                                 .excluded = 2 * config_->dns.redir_host_memory,
                                 .sockets = config_->tun.auto_route ? std::size_t{16384} : 1});
        program_id_ = program_id_of(program_->tc_program_fd());
        install_set();
        apply_settings();
        if (config_->tun.auto_route)
            cgroup_ = std::make_unique<CgroupAttachment>(*program_, ebpf.cgroup);
        attach_interfaces();
    } catch (const std::exception& e) {
        if (ebpf.required) {
            stop();
            throw;
        }
        disable(e.what());
        return;
    }
    state_ = "active";
    std::string where;
    for (const auto& [name, index] : attached_) where += (where.empty() ? "" : ", ") + name;
    if (cgroup_)
        where += (where.empty() ? "" : ", ") + std::string("sockets of ") + cgroup_->path();
    spdlog::info(
        "ebpf: bypass active on {}; {} prefixes (IPv4 {:.1f}%, IPv6 {:.1f}% of the "
        "address space); flow table {} flows, maps {} KiB",
        where.empty() ? std::string("no interface yet") : where, prefixes_, v4_share_ * 100,
        v6_share_ * 100, program_->flow_table_size(), program_->map_bytes() / 1024);
    if (cgroup_ && current_netns_cookie() == 0)
        spdlog::warn(
            "ebpf: this kernel cannot name network namespaces (SO_NETNS_COOKIE, "
            "Linux 5.14): the desktop hooks will mark nothing");
    watch_interfaces();
}

void BypassService::disable(const std::string& reason) {
    cgroup_.reset();
    for (const auto& [name, index] : attached_) TcAttachment::detach(index);
    attached_.clear();
    program_.reset();
    state_ = "disabled: " + reason;
    spdlog::warn("ebpf: bypass disabled ({}); direct traffic goes through the TUN", reason);
}

void BypassService::apply_settings() {
    ProgramSettings s;
    // Always on: global mode is the empty set, so flows pinned to the bypass before a
    // switch keep their path (the flow table is consulted only while enabled).
    s.enabled = true;
    s.routing_mark = config_->tun.routing_mark;
    s.netns_cookie = current_netns_cookie();
    s.udp_idle = config_->tun.udp_idle_timeout;
    s.fake_range = config_->dns.fake_ip_range;
    s.fake_range6 = config_->dns.fake_ip_range6;
    s.hijack_ports = ebpf_hijack_ports(config_->tun);
    // Once redir-host ran, its remembered names stay in use after a switch to fake-ip
    // (DnsService::domain_for), so the excluded addresses must stay out too.
    redir_host_seen_ = redir_host_seen_ || config_->dns.mode == DnsMode::redir_host;
    s.check_excluded = redir_host_seen_;
    program_->configure(s);
}

void BypassService::install_set() {
    if (excluded_full_) {
        program_->replace_set({});
        prefixes_ = 0;
        v4_share_ = v6_share_ = 0;
        return;
    }
    const rules::AddressSet set = rules::bypass_for_mode(
        mode_, rules_ ? *rules_ : rules::RuleBypass{}, bypass_exclusions(*config_));
    const std::vector<Prefix> prefixes = set.to_prefixes();
    program_->replace_set(prefixes);
    prefixes_ = prefixes.size();
    v4_share_ = set.fraction(IpAddress::Family::v4);
    v6_share_ = set.fraction(IpAddress::Family::v6);
}

void BypassService::update(std::shared_ptr<const Config> config,
                           std::shared_ptr<const rules::RuleBypass> rules, rules::Mode mode) {
    config_ = std::move(config);
    if (rules) rules_ = std::move(rules);
    mode_ = mode;
    if (!program_) return;
    try {
        install_set();
        apply_settings();
        spdlog::info("ebpf: bypass set replaced: {} prefixes (IPv4 {:.1f}%, IPv6 {:.1f}%), mode {}",
                     prefixes_, v4_share_ * 100, v6_share_ * 100, rules::to_string(mode_));
    } catch (const std::exception& e) {
        // The old set stays in the kernel; it was compiled from rules that no longer run,
        // so nothing may bypass until a set of the running rules is in.
        spdlog::error("ebpf: {}; nothing bypasses until the next reload succeeds", e.what());
        try {
            program_->replace_set({});
        } catch (const std::exception& again) {
            disable(again.what());
        }
    }
}

void BypassService::set_mode(rules::Mode mode) {
    if (mode == mode_) return;
    update(config_, nullptr, mode);
}

void BypassService::exclude(const std::vector<IpAddress>& addresses) {
    if (!program_ || excluded_full_) return;
    for (const IpAddress& a : addresses) {
        try {
            program_->exclude(a);
        } catch (const std::exception& e) {
            // Going on would be unsound: the address may carry a domain from now on.
            excluded_full_ = true;
            spdlog::error(
                "{}: redir-host answered more addresses than the program can keep "
                "apart ({}); nothing bypasses until the next start",
                e.what(), 2 * config_->dns.redir_host_memory);
            try {
                install_set();
            } catch (const std::exception& again) {
                disable(again.what());
            }
            return;
        }
    }
}

void BypassService::attach_interfaces() {
    for (const std::string& name : config_->tun.lan_interfaces) {
        const int index = static_cast<int>(if_nametoindex(name.c_str()));
        auto known = std::find_if(attached_.begin(), attached_.end(),
                                  [&](const auto& entry) { return entry.first == name; });
        if (index == 0) {
            if (known != attached_.end()) {
                spdlog::info("ebpf: {} is gone; the program goes back on when it returns", name);
                attached_.erase(known);
            }
            continue;
        }
        if (known != attached_.end() && known->second == index &&
            TcAttachment::attached_program(index) == program_id_)
            continue;
        TcAttachment::attach(index, program_->tc_program_fd());
        if (known != attached_.end()) {
            known->second = index;
            spdlog::info("ebpf: program back on {} (index {})", name, index);
        } else {
            attached_.emplace_back(name, index);
        }
    }
}

void BypassService::watch_interfaces() {
    if (config_->tun.lan_interfaces.empty() || stopped_) return;
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec || !program_) return;
        try {
            attach_interfaces();
        } catch (const std::exception& e) {
            spdlog::warn("{} (tried again in a second)", e.what());
        }
        watch_interfaces();
    });
}

void BypassService::stop() {
    if (stopped_) return;
    stopped_ = true;
    timer_.cancel();
    cgroup_.reset();
    for (const auto& [name, index] : attached_) TcAttachment::detach(index);
    attached_.clear();
    program_.reset();
}

BypassStatus BypassService::status() const {
    BypassStatus s;
    s.active = program_ != nullptr;
    s.state = state_;
    for (const auto& [name, index] : attached_) s.interfaces.push_back(name);
    if (cgroup_) s.cgroup = cgroup_->path();
    s.prefixes = prefixes_;
    s.v4_share = v4_share_;
    s.v6_share = v6_share_;
    if (program_) {
        s.counters = program_->counters();
        s.map_bytes = program_->map_bytes();
        s.flow_table_size = program_->flow_table_size();
    }
    return s;
}

}  // namespace shunt::ebpf
