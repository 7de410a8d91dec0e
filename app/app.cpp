#include "app/app.hpp"

#include <malloc.h>

#include <csignal>
#include <iostream>

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "app/control_api.hpp"
#include "app/process_setup.hpp"
#include "base/logging.hpp"
#include "base/version.hpp"
#include "config/config_api_reader.hpp"
#include "config/config_dns_reader.hpp"
#include "config/config_loader.hpp"
#include "config/config_tun_reader.hpp"
#include "dns/server/dns_service.hpp"
#include "flow/dns_destination_names.hpp"
#include "flow/flow_classifier.hpp"
#include "flow/flow_registry.hpp"
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
            names_ = std::make_unique<flow::DnsDestinationNames>(*dns_);
            if (config_->tun.enable) {
                outbounds_ = build_outbounds(*config_, nullptr).set;
                classifier_ = std::make_unique<flow::FlowClassifier>(*names_, engine_, outbounds_);
                std::vector<Prefix> fake_ip_ranges{config_->dns.fake_ip_range};
                if (config_->dns.fake_ip_range6)
                    fake_ip_ranges.push_back(*config_->dns.fake_ip_range6);
                netstack_ = std::make_unique<netstack::NetstackService>(
                    io_.get_executor(), config_->tun, std::move(fake_ip_ranges), *dns_,
                    *classifier_, registry_);
                netstack_->start();
            }
            if (config_->api) {
                api_ = app::make_control_api(io_.get_executor(), *config_, {registry_, *names_});
                api_->start();
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
            if (api_) api_->stop();
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
        // Keys a running shunt cannot change keep their running values, so that what the
        // rest is rebuilt with (outbounds' routing mark, DNS upstreams) matches the pool,
        // device and routes that stay.
        auto loaded = std::make_shared<Config>(*result.config);
        std::vector<std::pair<OnReload, std::string>> changes;
        loaded->dns = reload_section("dns", dns_section_spec(), config_->dns, result.config->dns,
                                     "", changes);
        loaded->tun = reload_section(
            "tun", tun_section_spec(), config_->tun, result.config->tun,
            netstack_ ? ""
                      : "kept for when the TUN device runs (it does not: [tun] enable was "
                        "false at start)",
            changes);
        reload_api(*result.config, *loaded, changes);
        const std::shared_ptr<const Config> config = loaded;
        apply_log_level(config->log.level);
        try {
            dns_->reload(config);
        } catch (const std::exception& e) {
            spdlog::error("reload failed, keeping the running configuration: {}", e.what());
            return;
        }
        // Connections in flight keep the rule list they were decided with (Verdict).
        engine_->replace(rules.rules);
        // A mode switched at runtime survives reloads that leave `mode` alone.
        if (config->mode != config_->mode) engine_->set_mode(config->mode);
        log_rules(*config, rules);
        if (netstack_) {
            // The user's choices in select groups (and GLOBAL) survive a reload where the
            // group and the member still exist.
            const auto choices = outbounds_->selections();
            const outbound::RunningOutbounds running{*config_, *outbounds_};
            auto built = build_outbounds(*config, &running);
            spdlog::info(
                "reload: {} proxies and groups unchanged (kept, with their connections), "
                "{} new or changed",
                built.kept, built.rebuilt);
            outbounds_ = std::move(built.set);
            outbounds_->carry_over(choices);
            classifier_->set_outbounds(outbounds_);
            netstack_->apply(config->tun);
        }
        for (const auto& [on_reload, line] : changes) {
            if (on_reload == OnReload::applied)
                spdlog::info("reload: {}", line);
            else
                spdlog::warn("reload: {}", line);
        }
        config_ = config;
        spdlog::info("reloaded {}", path_);
    }

    // [api]: the secret and the allowed origins apply to new requests; the listeners stay
    // as they started.
    void reload_api(const Config& loaded, Config& effective,
                    std::vector<std::pair<OnReload, std::string>>& changes) {
        if (config_->api && loaded.api) {
            effective.api =
                reload_section("api", api_section_spec(), *config_->api, *loaded.api, "", changes);
            api_->set_guard(app::guard_settings(*effective.api));
        } else if (config_->api.has_value() != loaded.api.has_value()) {
            effective.api = config_->api;
            changes.emplace_back(OnReload::next_start,
                                 loaded.api ? "[api] added: the API starts at the next start"
                                            : "[api] removed: the API keeps running until the "
                                              "next start");
        }
    }

    // The section a reload runs with: every changed key the running service applies is
    // taken from `loaded`, every other one keeps its running value; `changes` gets a log
    // line per changed key. `not_running` says why an applied key has no effect yet ("" when
    // the service runs).
    template <class Section>
    static Section reload_section(std::string_view table, const SectionSpec<Section>& spec,
                                  const Section& running, const Section& loaded,
                                  std::string_view not_running,
                                  std::vector<std::pair<OnReload, std::string>>& changes) {
        Section effective = running;
        for (const auto* key : spec.changed(running, loaded)) {
            // "tun.mtu = 1500", or "dns.hosts changed" for a key too big to show.
            const std::string what =
                key->show ? fmt::format("{}.{} = {}", table, key->name, key->show(loaded))
                          : fmt::format("{}.{} changed:", table, key->name);
            if (key->on_reload == OnReload::applied) {
                key->copy(effective, loaded);
                changes.emplace_back(
                    key->on_reload,
                    fmt::format("{} {}", what, not_running.empty() ? "applied" : not_running));
            } else {
                changes.emplace_back(
                    key->on_reload,
                    fmt::format("{} takes effect at the next start; until then it stays {} (what "
                                "runs on it is kept)",
                                what, key->show ? key->show(running) : "as it was"));
            }
        }
        return effective;
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
    flow::FlowRegistry registry_;  // every relaying flow: the REST API reads it
    std::unique_ptr<flow::DnsDestinationNames> names_;
    std::unique_ptr<flow::FlowClassifier> classifier_;
    std::unique_ptr<netstack::NetstackService> netstack_;
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
