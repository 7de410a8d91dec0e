#include "netstack/system_dns/system_dns.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <stdexcept>

#include "config/config_tun_reader.hpp"

namespace shunt::netstack {

namespace {

std::string join(const std::vector<std::string>& items) {
    std::string text;
    for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
    return text;
}

}  // namespace

SystemDnsPlan system_dns_plan(const Config& config, int tun_ifindex) {
    SystemDnsPlan plan;
    plan.mode = config.tun.system_dns;
    plan.link = {tun_ifindex, config.tun.name};
    plan.server = system_dns_server(config.dns, false);
    plan.server_port_53 = system_dns_server(config.dns, true);
    // Beside the fake-IP store: the state directory a service has (StateDirectory=shunt).
    const std::filesystem::path store(config.dns.fake_ip_store);
    const std::filesystem::path directory = config.dns.fake_ip_store.empty()
                                                ? std::filesystem::path("/var/lib/shunt")
                                                : store.parent_path();
    plan.resolv_conf_backup = (directory / "resolv.conf.orig").string();
    return plan;
}

SystemDns::SystemDns(boost::asio::any_io_executor executor, SystemDnsPlan plan)
    : executor_(std::move(executor)), plan_(std::move(plan)) {}

SystemDns::~SystemDns() {
    stop();
}

void SystemDns::start() {
    switch (plan_.mode) {
        case SystemDnsMode::off:
            spdlog::info("system DNS: left alone ([tun] system_dns = \"off\")");
            return;
        case SystemDnsMode::resolv_conf:
            return start_resolv_conf();
        case SystemDnsMode::resolved:
        case SystemDnsMode::automatic:
            return start_resolved();
    }
}

void SystemDns::start_resolved() {
    auto control =
        plan_.force_resolvectl ? make_resolvectl_control() : make_resolved_control(executor_);
    if (!control->available()) {
        if (plan_.mode == SystemDnsMode::resolved)
            throw std::runtime_error(
                "system DNS: [tun] system_dns = \"resolved\", but systemd-resolved does not "
                "answer (over " +
                std::string(control->transport()) + "): start it, or choose \"resolv.conf\"");
        spdlog::debug("system DNS: systemd-resolved does not answer; using {}", plan_.resolv_conf);
        return start_resolv_conf();
    }
    if (!plan_.server)
        throw std::runtime_error("system DNS: no [dns] listen address for systemd-resolved to ask");
    resolved_ = std::move(control);
    try {
        apply_link_settings();
    } catch (...) {
        resolved_->revert_link(plan_.link);
        resolved_.reset();
        throw;
    }
    active_ = std::string("systemd-resolved (") + resolved_->transport() + ")";
    const bool watched = resolved_->watch_restarts([this] {
        if (!resolved_) return;
        spdlog::info("system DNS: systemd-resolved restarted; setting {} again", plan_.link.name);
        refresh();
    });
    spdlog::info("system DNS: {} sends every name to {} through {}{}", active_,
                 plan_.server->to_string(), plan_.link.name,
                 watched ? "" : " (restarts of resolved are not watched: a reload sets it again)");
}

void SystemDns::apply_link_settings() {
    resolved_->set_link(plan_.link, *plan_.server);
    const auto others = resolved_->other_catch_all_links(plan_.link);
    if (!others.empty())
        spdlog::warn(
            "system DNS: {} also route every name (\"~.\"); resolved asks them alongside "
            "shunt, and names they answer first bypass shunt's rules",
            join(others));
}

void SystemDns::start_resolv_conf() {
    if (!plan_.server_port_53)
        throw std::runtime_error(
            std::string("system DNS: [tun] system_dns = \"") + system_dns_name(plan_.mode) + "\"" +
            (plan_.mode == SystemDnsMode::automatic ? ": systemd-resolved does not run here, and "
                                                    : ": ") +
            plan_.resolv_conf +
            " cannot name a port, so shunt's DNS must listen on port 53 of a loopback address: "
            "add \"127.0.0.1:53\" to [dns] listen, or set system_dns = \"off\"");
    resolv_conf_ = std::make_unique<ResolvConfFile>(plan_.resolv_conf, plan_.resolv_conf_backup);
    resolv_conf_->apply(plan_.server_port_53->address);
    active_ = plan_.resolv_conf;
}

void SystemDns::refresh() noexcept {
    if (!resolved_) return;
    try {
        apply_link_settings();
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
    }
}

void SystemDns::relink(int ifindex) noexcept {
    plan_.link.ifindex = ifindex;
    if (!resolved_) return;
    try {
        apply_link_settings();
        spdlog::info("system DNS: settings moved to the new {} (ifindex {})", plan_.link.name,
                     ifindex);
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
    }
}

void SystemDns::stop() noexcept {
    if (resolved_) {
        resolved_->revert_link(plan_.link);
        spdlog::info("system DNS: settings of {} in systemd-resolved reverted", plan_.link.name);
        resolved_.reset();
    }
    if (resolv_conf_) {
        resolv_conf_->restore();
        resolv_conf_.reset();
    }
    active_ = "off";
}

}  // namespace shunt::netstack
