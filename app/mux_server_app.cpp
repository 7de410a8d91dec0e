#include "app/mux_server_app.hpp"

#include <iostream>

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include "app/process_setup.hpp"
#include "base/logging.hpp"
#include "config/config_loader.hpp"
#include "dns/server/dns_policy.hpp"
#include "net/asio_address.hpp"
#include "outbound/mux/server/mux_server.hpp"

namespace shunt {

namespace {

// Without [dns] upstreams: the system's resolver (getaddrinfo on asio's resolver thread).
// The static binary has none (glibc's NSS needs its shared modules at run time): it
// asks for upstreams instead (run_mux_server).
outbound::AddressLookup system_lookup(boost::asio::io_context& io) {
    auto resolver = std::make_shared<boost::asio::ip::tcp::resolver>(io);
    return [resolver](const std::string& name, outbound::AddressCallback done) {
        resolver->async_resolve(
            name, "",
            [done = std::move(done)](const boost::system::error_code& ec,
                                     boost::asio::ip::tcp::resolver::results_type results) {
                std::vector<IpAddress> addresses;
                for (const auto& entry : results)
                    addresses.push_back(from_asio_address(entry.endpoint().address()));
                done(ec, std::move(addresses));
            });
    };
}

outbound::AddressLookup config_lookup(boost::asio::io_context& io, const Config& config,
                                      std::shared_ptr<dns::Resolver>& resolver) {
    std::unordered_map<std::string, std::vector<IpAddress>> hosts;
    for (const auto& host : config.dns.hosts) hosts[host.name] = host.addresses;
    outbound::AddressLookup fallback;
    if (config.dns.upstreams.empty() && config.dns.nameserver_policy.empty()) {
#ifdef SHUNT_STATIC_BUILD
        throw std::runtime_error(
            "mux-server: this static build cannot use the system resolver: set [dns] "
            "upstreams (for example the servers in /etc/resolv.conf) to resolve target names");
#endif
        spdlog::info(
            "mux-server: resolving target names with the system resolver (no [dns] "
            "upstreams)");
        fallback = system_lookup(io);
    } else {
        resolver = dns::Resolver::create(io.get_executor(), dns::resolver_config(config.dns));
        fallback = [resolver](const std::string& name, outbound::AddressCallback done) {
            resolver->lookup_addresses(name, std::move(done));
        };
    }
    return [&io, hosts = std::move(hosts), fallback](const std::string& name,
                                                     outbound::AddressCallback done) {
        if (auto it = hosts.find(name); it != hosts.end()) {
            boost::asio::post(
                io, [done = std::move(done), addresses = it->second] { done({}, addresses); });
            return;
        }
        fallback(name, std::move(done));
    };
}

}  // namespace

int run_mux_server(const std::string& config_path, int verbosity) {
    auto result = load_config(config_path);
    if (!result.errors.empty()) {
        for (const auto& e : result.errors) std::cerr << e.format() << "\n";
        return 1;
    }
    const Config& config = *result.config;
    if (!config.mux_server) {
        std::cerr << config_path << ": no [mux_server] section (see examples/mux-server.toml)\n";
        return 1;
    }
    prepare_server_process();
    setup_logging(config.log.level, verbosity);
    const auto& section = *config.mux_server;
    outbound::mux::MuxServerOptions options;
    options.listen = section.listen;
    options.password = section.password;
    options.cert_file = section.cert_file;
    options.key_file = section.key_file;
    options.connect_timeout = section.connect_timeout;
    options.max_carriers = section.max_carriers;
    options.targets =
        outbound::mux::TargetPolicy(section.allow_private_targets, section.deny_targets);
    options.carrier.max_streams = section.max_streams_per_carrier;
    options.carrier.keepalive_timeout = section.keepalive_timeout;
    options.carrier.keepalive_interval = section.keepalive_interval;

    boost::asio::io_context io{1};
    std::shared_ptr<dns::Resolver> resolver;
    try {
        auto lookup = config_lookup(io, config, resolver);
        // Signals first: once the port is open, a SIGTERM must find its handler.
        boost::asio::signal_set signals(io, SIGINT, SIGTERM);
        outbound::mux::MuxServer server(io.get_executor(), options, lookup);
        server.start();
        signals.async_wait([&](const boost::system::error_code& ec, int signal) {
            if (ec) return;
            spdlog::info("received {}, stopping", signal == SIGINT ? "SIGINT" : "SIGTERM");
            // Clients get GOAWAY and move new streams elsewhere; open streams have 10 s.
            server.shut_down(std::chrono::seconds(10), [&] {
                if (resolver) resolver->close();
                io.stop();
            });
        });
        spdlog::info("shunt mux-server running with {}", config_path);
        io.run();
    } catch (const std::exception& e) {
        spdlog::error("mux-server: {}", e.what());
        return 1;
    }
    spdlog::info("mux-server stopped");
    spdlog::default_logger()->flush();
    return 0;
}

}  // namespace shunt
