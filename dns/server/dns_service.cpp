#include "dns/server/dns_service.hpp"

#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

#include "dns/pool/file_pool_store.hpp"
#include "dns/pool/memory_pool_store.hpp"
#include "dns/server/tcp_listener.hpp"
#include "dns/server/udp_listener.hpp"

namespace shunt::dns {

namespace {

std::unique_ptr<FakeIpPool> open_pool(const DnsConfig& dns) {
    std::unique_ptr<PoolStore> store;
    if (dns.fake_ip_store.empty()) {
        store = std::make_unique<MemoryPoolStore>();
    } else {
        store = std::make_unique<FilePoolStore>(dns.fake_ip_store);
    }
    return std::make_unique<FakeIpPool>(dns.fake_ip_range, dns.fake_ip_range6, std::move(store));
}

}  // namespace

DnsService::DnsService(boost::asio::any_io_executor executor, std::shared_ptr<const Config> config)
    : executor_(executor),
      config_(config),
      pool_(open_pool(config->dns)),
      redir_memory_(config->dns.redir_host_memory),
      handler_(*pool_, redir_memory_, stats_, executor_, executor_),
      answer_thread_("shunt-dns"),
      answer_handler_(*pool_, redir_memory_, stats_, answer_thread_.executor(), executor_) {
    auto policy = DnsPolicy::build(executor_, config_);
    // Names the filter covers now must not keep addresses from an older config.
    auto dropped = pool_->drop_if([&](std::string_view name) { return policy->is_filtered(name); });
    if (dropped) spdlog::info("dns: dropped {} fake-IP mappings of names now filtered", dropped);
    set_policy(std::move(policy));
}

DnsService::~DnsService() {
    stop();
}

void DnsService::set_policy(std::shared_ptr<const DnsPolicy> policy) {
    // The answer thread's old policy comes back here to be released: its resolver's
    // sockets belong to this loop.
    auto old = answer_thread_.call([&] { return answer_handler_.exchange_policy(policy); });
    handler_.exchange_policy(std::move(policy));
}

void DnsService::start() {
    open_listeners(config_->dns.listen, config_->dns);
    const auto& dns = config_->dns;
    spdlog::info("dns: {} mode, fake-IP range {}{}, store {}", to_string(dns.mode),
                 dns.fake_ip_range.to_string(),
                 dns.fake_ip_range6 ? " and " + dns.fake_ip_range6->to_string() : std::string(),
                 dns.fake_ip_store.empty() ? std::string("in memory") : dns.fake_ip_store);
}

void DnsService::open_listeners(const std::vector<Endpoint>& endpoints, const DnsConfig& dns) {
    std::vector<std::shared_ptr<UdpListener>> udp;
    std::vector<std::shared_ptr<TcpListener>> tcp;
    for (const auto& endpoint : endpoints) {
        udp.push_back(
            std::make_shared<UdpListener>(answer_thread_.executor(), endpoint, answer_handler_));
        tcp.push_back(std::make_shared<TcpListener>(executor_, endpoint, handler_,
                                                    dns.tcp_idle_timeout, dns.max_tcp_clients));
    }
    // Every bind succeeded: only now replace the running listeners.
    close_listeners();
    udp_ = std::move(udp);
    tcp_ = std::move(tcp);
    answer_thread_.call([this] {
        for (auto& l : udp_) l->start();
    });
    for (auto& l : tcp_) l->start();
    for (const auto& endpoint : endpoints)
        spdlog::info("dns: listening on {} (udp, tcp)", endpoint.to_string());
}

void DnsService::close_listeners() {
    answer_thread_.call([this] {
        for (auto& l : udp_) l->close();
    });
    for (auto& l : tcp_) l->close();
    udp_.clear();
    tcp_.clear();
}

void DnsService::reload(std::shared_ptr<const Config> config) {
    // The caller keeps the pool's keys (range, store) at their running values: they take
    // effect at the next start (config/config_dns_reader.cpp declares which keys do).
    const auto& old_dns = config_->dns;
    const auto& dns = config->dns;
    auto policy = DnsPolicy::build(executor_, config);
    if (dns.listen != old_dns.listen) {
        open_listeners(dns.listen, dns);
    } else {
        for (auto& listener : tcp_) listener->set_limits(dns.tcp_idle_timeout, dns.max_tcp_clients);
    }
    auto dropped = pool_->drop_if([&](std::string_view name) { return policy->is_filtered(name); });
    if (dropped) spdlog::info("dns: dropped {} fake-IP mappings of names now filtered", dropped);
    redir_memory_.set_capacity(dns.redir_host_memory);
    // The old policy's resolver is not closed: queries in flight hold it and finish.
    set_policy(std::move(policy));
    config_ = std::move(config);
}

void DnsService::lookup_addresses(std::string_view name, Resolver::AddressCallback callback) {
    const auto policy = handler_.policy();
    if (!policy) {
        boost::asio::post(executor_, [callback = std::move(callback)] {
            callback(boost::asio::error::operation_aborted, {});
        });
        return;
    }
    // Static hosts answer for connections as they do for queries.
    if (auto host = policy->hosts.find(std::string(name)); host != policy->hosts.end()) {
        boost::asio::post(executor_, [callback = std::move(callback), addresses = host->second] {
            callback({}, addresses);
        });
        return;
    }
    policy->resolver->lookup_addresses(name, std::move(callback));
}

void DnsService::answer_datagram(std::span<const std::uint8_t> query,
                                 std::function<void(std::span<const std::uint8_t>)> reply) {
    if (stopped_) return;
    std::vector<std::uint8_t> response;
    auto outcome = handler_.handle(query, Transport::udp, response, [&reply] {
        return QueryHandler::AsyncReply([reply](std::vector<std::uint8_t> r) {
            if (!r.empty()) reply(r);
        });
    });
    if (outcome == QueryHandler::Outcome::answered) reply(response);
}

void DnsService::stop() {
    if (stopped_) return;
    stopped_ = true;
    close_listeners();
    // Nothing runs there any more: what it holds is this loop's to release.
    answer_thread_.stop();
    answer_handler_.exchange_policy(nullptr);
    if (handler_.policy()) handler_.policy()->resolver->close();
    try {
        pool_->flush();
    } catch (const std::exception& e) {
        spdlog::error("dns: flushing the fake-IP store failed: {}", e.what());
    }
    auto& s = stats_;
    spdlog::info("dns: {} queries, {} fake answers, {} forwarded, {} servfail, {} malformed",
                 s.queries.load(), s.fake_answers.load(), s.forwarded.load(), s.servfail.load(),
                 s.malformed.load());
}

std::optional<std::string> DnsService::domain_for(const IpAddress& address) {
    if (pool_->in_range(address)) return pool_->lookup(address);
    return redir_memory_.lookup(address);
}

void DnsService::clear_answer_cache() {
    if (handler_.policy()) handler_.policy()->resolver->clear_cache();
}

std::size_t DnsService::drop_fake_ips_except(
    const std::function<bool(std::string_view name)>& keep) {
    return pool_->drop_if([&keep](std::string_view name) { return !keep(name); });
}

}  // namespace shunt::dns
