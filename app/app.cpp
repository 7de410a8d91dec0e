#include "app/app.hpp"

#include <csignal>
#include <iostream>

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "app/control_api.hpp"
#include "app/process_setup.hpp"
#include "app/reload_section.hpp"
#include "app/selection_store.hpp"
#include "app/service_notifier.hpp"
#include "base/logging.hpp"
#include "base/version.hpp"
#include "config/config_api_reader.hpp"
#include "config/config_dns_reader.hpp"
#include "config/config_ebpf_reader.hpp"
#include "config/config_loader.hpp"
#include "config/config_tun_reader.hpp"
#include "dns/server/dns_service.hpp"
#include "ebpf/bypass_service.hpp"
#include "flow/dns_destination_names.hpp"
#include "flow/flow_classifier.hpp"
#include "flow/flow_registry.hpp"
#include "netstack/netstack_service.hpp"
#include "netstack/system_dns/system_dns.hpp"
#include "outbound/mux/client/carrier_threads.hpp"
#include "outbound/outbound_builder.hpp"
#include "outbound/outbound_set.hpp"
#include "rules/engine/rule_build.hpp"
#include "rules/engine/rule_engine.hpp"

namespace shunt {

namespace {

// `shunt run`: DNS, the netstack and the control API on one event loop, and what signals
// and the API do to them (reload, mode, selections).
class App final : public api::RunningShunt {
  public:
    App(std::string path, std::shared_ptr<const Config> config, rules::RuleBuildResult rules)
        : path_(std::move(path)),
          config_(std::move(config)),
          signals_(io_, SIGINT, SIGTERM, SIGHUP),
          engine_(std::make_shared<rules::RuleEngine>(rules.rules, config_->mode)),
          log_level_(config_->log.level),
          selections_(app::SelectionStore::path_for(config_->dns)),
          initial_bypass_(rules.bypass) {
        note_rule_sets(*config_, rules);
        log_rules(*config_, rules);
    }
    ~App() override {
        // The loop has stopped: the carriers' threads stop before anything they could post
        // to goes; what is torn down below then runs on this thread alone.
        carrier_threads_.stop();
    }

    int run() {
        // A resolv.conf still naming shunt means an earlier run did not stop cleanly.
        if (auto leftover =
                netstack::ResolvConfFile::restore_leftover(netstack::kSystemResolvConf)) {
            if (leftover->restored)
                spdlog::warn("system DNS: {} (left by a run that did not stop)", leftover->message);
            else
                spdlog::error("{}", leftover->message);
        }
        try {
            dns_ = std::make_unique<dns::DnsService>(io_.get_executor(), config_);
            // redir-host: an answered address may carry a domain from now on, so the kernel
            // must stop bypassing it before the answer leaves.
            dns_->set_redir_host_listener([this](const std::vector<IpAddress>& addresses) {
                if (bypass_) bypass_->exclude(addresses);
            });
            if (config_->tun.enable && config_->ebpf.enable) {
                // Before the DNS serves (redir-host: every answer must reach the program)
                // and before the TUN's routes (no flow starts on the TUN unseen by it).
                bypass_ = std::make_unique<ebpf::BypassService>(io_.get_executor(), config_);
                bypass_->start(std::move(initial_bypass_), engine_->mode());
            }
            dns_->start();
            names_ = std::make_unique<flow::DnsDestinationNames>(*dns_);
            // Built with or without the TUN device: the API shows and switches them.
            outbounds_ = build_outbounds(*config_, nullptr).set;
            if (const auto restored = outbounds_->carry_over(selections_.load()))
                spdlog::info("{} group selection(s) restored from {}", restored,
                             selections_.path());
            if (config_->tun.enable) {
                classifier_ = std::make_unique<flow::FlowClassifier>(*names_, engine_, outbounds_);
                std::vector<Prefix> fake_ip_ranges{config_->dns.fake_ip_range};
                if (config_->dns.fake_ip_range6)
                    fake_ip_ranges.push_back(*config_->dns.fake_ip_range6);
                netstack_ = std::make_unique<netstack::NetstackService>(
                    io_.get_executor(), config_->tun, std::move(fake_ip_ranges), *dns_,
                    *classifier_, registry_);
                netstack_->start();
                system_dns_ = std::make_unique<netstack::SystemDns>(
                    io_.get_executor(),
                    netstack::system_dns_plan(*config_, netstack_->tun_ifindex()));
                system_dns_->start();
                // A device made again (the old one was deleted) is a new link: the system's
                // resolver settings go to it.
                netstack_->on_rebuilt([this](int ifindex) { system_dns_->relink(ifindex); });
            }
            if (config_->api) {
                api_logs_ = std::make_shared<api::LogBroadcast>();
                api_ = app::make_control_api(io_.get_executor(), *config_,
                                             {registry_, *names_, *dns_, *this, api_logs_});
                api_->start();
                api::LogBroadcast::attach(api_logs_);
            }
        } catch (const std::exception& e) {
            spdlog::error("startup failed: {}", e.what());
            return 1;
        }
        spdlog::info("shunt {} running with {}", kVersion, path_);
        notifier_.ready(status_line());
        report_status();
        wait_for_signal();
        io_.run();
        spdlog::info("shunt stopped");
        spdlog::default_logger()->flush();
        return 0;
    }

    // api::RunningShunt
    std::shared_ptr<const Config> config() const override { return config_; }
    rules::Mode mode() const override { return engine_->mode(); }
    void set_mode(rules::Mode mode) override {
        // The kernel first: its set never bypasses what the new mode would not.
        if (bypass_) bypass_->set_mode(mode);
        engine_->set_mode(mode);
    }
    LogLevel log_level() const override { return log_level_; }
    void set_log_level(LogLevel level) override {
        log_level_ = level;
        apply_log_level(level);
    }
    outbound::OutboundSet& outbounds() override { return *outbounds_; }
    void selections_changed() override { selections_.save(outbounds_->selections()); }
    std::vector<api::RuleSetState> rule_sets() const override { return rule_sets_; }

    std::vector<std::string> reread_rule_sets() override {
        auto rules = rules::build_rules(*config_);
        if (!rules.errors.empty()) {
            std::vector<std::string> errors;
            for (const auto& e : rules.errors) errors.push_back(e.format());
            spdlog::error("rule sets: {} error(s), keeping the running rules", errors.size());
            return errors;
        }
        install_rules(config_, rules, engine_->mode());
        return {};
    }

    // A bad file keeps the running config: the user fixes the file and reloads again,
    // nothing stops in between.
    std::vector<std::string> reload() override {
        notifier_.reloading();
        auto errors = reload_config();
        notifier_.ready(errors.empty() ? status_line()
                                       : std::to_string(errors.size()) +
                                             " error(s) in the last reload; " + status_line());
        return errors;
    }

    std::optional<ebpf::BypassStatus> bypass_status() const override {
        if (!bypass_) return std::nullopt;
        return bypass_->status();
    }

  private:
    std::vector<std::string> reload_config() {
        auto result = load_config(path_);
        rules::RuleBuildResult rules;
        // [ebpf] enable takes effect at the next start: a running bypass needs the set.
        if (result.errors.empty())
            rules =
                rules::build_rules(*result.config, bypass_ ? rules::BypassCompile::always
                                                           : rules::BypassCompile::when_enabled);
        if (!result.errors.empty() || !rules.errors.empty()) {
            std::vector<std::string> errors;
            for (const auto& e : result.errors) errors.push_back(e.format());
            for (const auto& e : rules.errors) errors.push_back(e.format());
            for (const auto& e : errors) spdlog::error("reload: {}", e);
            spdlog::error("reload: {} error(s), keeping the running configuration", errors.size());
            return errors;
        }
        // Keys a running shunt cannot change keep their running values, so that what the
        // rest is rebuilt with (outbounds' routing mark, DNS upstreams) matches the pool,
        // device and routes that stay.
        auto loaded = std::make_shared<Config>(*result.config);
        app::ReloadChanges changes;
        loaded->dns = app::reload_section("dns", dns_section_spec(), config_->dns,
                                          result.config->dns, "", changes);
        loaded->tun = app::reload_section(
            "tun", tun_section_spec(), config_->tun, result.config->tun,
            netstack_ ? ""
                      : "kept for when the TUN device runs (it does not: [tun] enable was "
                        "false at start)",
            changes);
        loaded->ebpf = app::reload_section("ebpf", ebpf_section_spec(), config_->ebpf,
                                           result.config->ebpf, "", changes);
        reload_api(*result.config, *loaded, changes);
        const std::shared_ptr<const Config> config = loaded;
        set_log_level(config->log.level);
        try {
            dns_->reload(config);
        } catch (const std::exception& e) {
            spdlog::error("reload failed, keeping the running configuration: {}", e.what());
            return {std::string("reload failed: ") + e.what()};
        }
        // A mode switched at runtime survives reloads that leave `mode` alone.
        install_rules(config, rules,
                      config->mode != config_->mode ? config->mode : engine_->mode());
        // The user's choices in groups (and GLOBAL) survive a reload where the group and
        // the member still exist.
        const auto choices = outbounds_->selections();
        const outbound::RunningOutbounds running{*config_, *outbounds_};
        auto built = build_outbounds(*config, &running);
        spdlog::info(
            "reload: {} proxies and groups unchanged (kept, with their connections), "
            "{} new or changed",
            built.kept, built.rebuilt);
        outbounds_ = std::move(built.set);
        outbounds_->carry_over(choices);
        if (netstack_) {
            classifier_->set_outbounds(outbounds_);
            netstack_->apply(config->tun);
        }
        if (system_dns_) system_dns_->refresh();
        for (const auto& [on_reload, line] : changes) {
            if (on_reload == OnReload::applied)
                spdlog::info("reload: {}", line);
            else
                spdlog::warn("reload: {}", line);
        }
        config_ = config;
        spdlog::info("reloaded {}", path_);
        return {};
    }

    // systemd's STATUS= line (systemctl status shows it).
    std::string status_line() const {
        std::string line = "mode " + std::string(rules::to_string(engine_->mode()));
        if (netstack_)
            line += ", " + std::to_string(netstack_->tcp_flow_count()) + " TCP flows, " +
                    std::to_string(netstack_->udp_session_count()) + " UDP sessions";
        if (system_dns_) line += ", system DNS: " + system_dns_->active();
        if (bypass_) {
            const auto ebpf = bypass_->status();
            line += ", ebpf: " + ebpf.state;
            if (ebpf.active)
                line += " (" + std::to_string(ebpf.counters.flows) + " flows bypassed)";
        }
        return line;
    }

    void report_status() {
        if (!notifier_.enabled()) return;
        status_timer_.expires_after(std::chrono::seconds(10));
        status_timer_.async_wait([this](const boost::system::error_code& ec) {
            if (ec) return;
            notifier_.status(status_line());
            report_status();
        });
    }

    void wait_for_signal() {
        signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
            if (ec) return;
            if (signal == SIGHUP) {
                reload();
                wait_for_signal();
                return;
            }
            spdlog::info("received {}, stopping", signal == SIGINT ? "SIGINT" : "SIGTERM");
            notifier_.stopping();
            status_timer_.cancel();
            if (api_) {
                api::LogBroadcast::detach(api_logs_);
                api_->stop();
            }
            // The resolver is pointed back before the device and the DNS it named go.
            if (system_dns_) system_dns_->stop();
            if (netstack_) netstack_->stop();
            if (bypass_) bypass_->stop();
            dns_->stop();
            signals_.cancel();
            io_.stop();
        });
    }

    // [api]: the secret and the allowed origins apply to new requests; the listeners stay
    // as they started.
    void reload_api(const Config& loaded, Config& effective, app::ReloadChanges& changes) {
        if (config_->api && loaded.api) {
            effective.api = app::reload_section("api", api_section_spec(), *config_->api,
                                                *loaded.api, "", changes);
            api_->set_guard(app::guard_settings(*effective.api));
        } else if (config_->api.has_value() != loaded.api.has_value()) {
            effective.api = config_->api;
            changes.emplace_back(OnReload::next_start,
                                 loaded.api ? "[api] added: the API starts at the next start"
                                            : "[api] removed: the API keeps running until the "
                                              "next start");
        }
    }

    // Swaps the engine's rules; connections in flight keep the list they were decided
    // with (Verdict).
    // The kernel's set first: it never bypasses what the new rules would not.
    void install_rules(const std::shared_ptr<const Config>& config,
                       const rules::RuleBuildResult& rules, rules::Mode mode) {
        if (bypass_) bypass_->update(config, rules.bypass, mode);
        engine_->replace(rules.rules);
        engine_->set_mode(mode);
        note_rule_sets(*config, rules);
        log_rules(*config, rules);
    }

    void note_rule_sets(const Config& config, const rules::RuleBuildResult& rules) {
        const auto now = std::chrono::system_clock::now();
        rule_sets_.clear();
        for (const auto& set : config.rule_sets) {
            const auto it = rules.entries_by_set.find(set.name);
            rule_sets_.push_back(
                {set.name, set.behavior, it == rules.entries_by_set.end() ? 0 : it->second, now});
        }
    }

    outbound::BuiltOutbounds build_outbounds(const Config& config,
                                             const outbound::RunningOutbounds* running) {
        return outbound::build_outbounds(
            config, io_.get_executor(),
            [this](const std::string& name, outbound::AddressCallback done) {
                dns_->lookup_addresses(name, std::move(done));
            },
            running, &carrier_threads_);
    }

    static void log_rules(const Config& config, const rules::RuleBuildResult& rules) {
        spdlog::info("rules: {} rules, {} rule-set entries, compiled in {} ms, mode {}",
                     config.rules.size(), rules.rule_set_entries, rules.elapsed.count(),
                     rules::to_string(config.mode));
    }

    std::string path_;
    std::shared_ptr<const Config> config_;

    // Before the loop: the streams its queued handlers may still hold refer to them.
    outbound::mux::CarrierThreads carrier_threads_{outbound::mux::CarrierThreads::default_count()};
    boost::asio::io_context io_{1};
    boost::asio::signal_set signals_;
    app::ServiceNotifier notifier_;
    boost::asio::steady_timer status_timer_{io_};
    std::shared_ptr<rules::RuleEngine> engine_;
    LogLevel log_level_;
    std::vector<api::RuleSetState> rule_sets_;
    app::SelectionStore selections_;
    std::shared_ptr<const rules::RuleBypass> initial_bypass_;  // handed to bypass_ at start
    std::unique_ptr<dns::DnsService> dns_;
    std::shared_ptr<outbound::OutboundSet> outbounds_;
    flow::FlowRegistry registry_;  // every relaying flow: the REST API reads it
    std::unique_ptr<flow::DnsDestinationNames> names_;
    std::unique_ptr<flow::FlowClassifier> classifier_;
    std::unique_ptr<ebpf::BypassService> bypass_;  // detached after the netstack stops
    std::unique_ptr<netstack::NetstackService> netstack_;
    std::unique_ptr<netstack::SystemDns> system_dns_;  // after netstack_: reverted before it
    std::shared_ptr<api::LogBroadcast> api_logs_;      // /logs: a sink beside the terminal's
    std::unique_ptr<api::ApiServer> api_;  // declared last: stopped before what it reads
};

}  // namespace

int run_app(const std::string& config_path, int verbosity) {
    auto result = load_config(config_path);
    if (!result.errors.empty()) {
        for (const auto& e : result.errors) std::cerr << e.format() << "\n";
        return 1;
    }
    prepare_server_process();
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
