#include "core/app.hpp"

#include <malloc.h>

#include <csignal>
#include <iostream>

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "core/config_loader.hpp"
#include "core/logging.hpp"
#include "core/process_setup.hpp"
#include "core/version.hpp"
#include "dns/server/dns_service.hpp"
#include "netstack/netstack_service.hpp"
#include "outbound/outbound_builder.hpp"
#include "rules/engine/rule_build.hpp"
#include "rules/engine/rule_engine.hpp"

namespace shunt {

namespace {

class App {
  public:
    App(std::string path, std::shared_ptr<const Config> config, rules::RuleBuildResult rules)
        : path_(std::move(path)),
          config_(std::move(config)),
          signals_(io_, SIGINT, SIGTERM, SIGHUP),
          engine_(std::make_shared<rules::RuleEngine>(rules.rules, config_->mode)),
          initial_rules_(std::move(rules)) {}

    int run() {
        try {
            dns_ = std::make_unique<dns::DnsService>(io_.get_executor(), config_);
            dns_->start();
            if (config_->tun.enable) {
                outbounds_ = build_outbounds(*config_, nullptr).set;
                netstack_ = std::make_unique<netstack::NetstackService>(
                    io_.get_executor(), *config_, *dns_, engine_, outbounds_);
                netstack_->start();
            }
        } catch (const std::exception& e) {
            spdlog::error("startup failed: {}", e.what());
            return 1;
        }
        spdlog::info("shunt {} running with {}", kVersion, path_);
        log_rules(*config_, initial_rules_);
        wait_for_signal();
        io_.run();
        spdlog::info("shunt stopped");
        spdlog::default_logger()->flush();
        return 0;
    }

  private:
    void wait_for_signal() {
        signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
            if (ec) return;
            if (signal == SIGHUP) {
                reload();
                wait_for_signal();
                return;
            }
            spdlog::info("received {}, stopping", signal == SIGINT ? "SIGINT" : "SIGTERM");
            if (netstack_) netstack_->stop();
            dns_->stop();
            signals_.cancel();
            io_.stop();
        });
    }

    // A bad file on reload keeps the running config: the user fixes the file and
    // sends SIGHUP again, nothing stops in between.
    void reload() {
        auto result = load_config(path_);
        rules::RuleBuildResult rules;
        if (result.errors.empty()) rules = rules::build_rules(*result.config);
        if (!result.errors.empty() || !rules.errors.empty()) {
            for (const auto& e : result.errors) spdlog::error("reload: {}", e.format());
            for (const auto& e : rules.errors) spdlog::error("reload: {}", e.format());
            spdlog::error("reload: {} error(s), keeping the running configuration",
                          result.errors.size() + rules.errors.size());
            return;
        }
        apply_log_level(result.config->log.level);
        try {
            dns_->reload(result.config);
        } catch (const std::exception& e) {
            spdlog::error("reload failed, keeping the running configuration: {}", e.what());
            return;
        }
        // Connections in flight keep the rule list they were decided with (Verdict).
        engine_->replace(rules.rules);
        // A mode switched at runtime survives reloads that leave `mode` alone.
        if (result.config->mode != config_->mode) engine_->set_mode(result.config->mode);
        log_rules(*result.config, rules);
        if (netstack_) {
            // The user's choices in select groups (and GLOBAL) survive a reload where the
            // group and the member still exist.
            const auto choices = outbounds_->selections();
            const outbound::RunningOutbounds running{*config_, *outbounds_};
            auto built = build_outbounds(*result.config, &running);
            spdlog::info(
                "reload: {} proxies and groups unchanged (kept, with their connections), "
                "{} new or changed",
                built.kept, built.rebuilt);
            outbounds_ = std::move(built.set);
            outbounds_->carry_over(choices);
            netstack_->set_outbounds(outbounds_);
        }
        if (tun_changed(config_->tun, result.config->tun))
            spdlog::warn(
                "reload: [tun] changes take effect at the next start; the running "
                "device, routes and flows are kept");
        config_ = result.config;
        spdlog::info("reloaded {}", path_);
    }

    outbound::BuiltOutbounds build_outbounds(const Config& config,
                                             const outbound::RunningOutbounds* running) {
        return outbound::build_outbounds(
            config, io_.get_executor(),
            [this](const std::string& name, outbound::AddressCallback done) {
                dns_->lookup_addresses(name, std::move(done));
            },
            running);
    }

    static bool tun_changed(const TunConfig& a, const TunConfig& b) {
        auto endpoints = [](const std::vector<Endpoint>& list) {
            std::string out;
            for (const auto& e : list) out += e.to_string() + " ";
            return out;
        };
        return a.enable != b.enable || a.name != b.name || a.mtu != b.mtu ||
               a.offload != b.offload || a.auto_route != b.auto_route ||
               a.routing_mark != b.routing_mark || a.table != b.table ||
               a.rule_priority != b.rule_priority || a.lan_interfaces != b.lan_interfaces ||
               endpoints(a.dns_hijack) != endpoints(b.dns_hijack) ||
               a.max_tcp_flows != b.max_tcp_flows || a.max_udp_sessions != b.max_udp_sessions;
    }

    static void log_rules(const Config& config, const rules::RuleBuildResult& rules) {
        spdlog::info("rules: {} rules, {} rule-set entries, compiled in {} ms, mode {}",
                     config.rules.size(), rules.rule_set_entries, rules.elapsed.count(),
                     rules::to_string(config.mode));
    }

    std::string path_;
    std::shared_ptr<const Config> config_;

    boost::asio::io_context io_{1};
    boost::asio::signal_set signals_;
    std::shared_ptr<rules::RuleEngine> engine_;
    rules::RuleBuildResult initial_rules_;  // figures for the startup log line
    std::unique_ptr<dns::DnsService> dns_;
    std::shared_ptr<outbound::OutboundSet> outbounds_;
    std::unique_ptr<netstack::NetstackService> netstack_;
};

}  // namespace

int run_app(const std::string& config_path, int verbosity) {
    auto result = load_config(config_path);
    if (!result.errors.empty()) {
        for (const auto& e : result.errors) std::cerr << e.format() << "\n";
        return 1;
    }
    prepare_server_process();
    // lwIP allocates one pbuf per segment, up to 64 KB with offload: by default glibc
    // hands the top of the heap back after each burst and page-faults to get it again.
    ::mallopt(M_TRIM_THRESHOLD, 8 << 20);
    ::mallopt(M_MMAP_THRESHOLD, 1 << 20);
    setup_logging(result.config->log.level, verbosity);
    auto rules = rules::build_rules(*result.config);
    if (!rules.errors.empty()) {
        for (const auto& e : rules.errors) std::cerr << e.format() << "\n";
        return 1;
    }
    App app(config_path, result.config, std::move(rules));
    return app.run();
}

}  // namespace shunt
