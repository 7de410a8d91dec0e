// The forwarding resolver: answers every query the fake-IP pool and [dns.hosts] do not
// (filtered names, types other than A/AAAA) from real upstreams, and gives the rest of
// shunt real addresses of a name (lookup_addresses).
//
// Route of a query, first that applies:
//   1. the answer cache (per name, type, class and query flavor, for the answer's TTL);
//   2. the same question already in flight: the query joins it (no second exchange);
//   3. nameserver_policy: the first pattern matching the name picks its group;
//   4. split (when configured): domestic and foreign groups at once (split_race.hpp);
//   5. the default group `upstreams`.
// A group asks all its members at once; the first good answer wins (upstream_group.hpp).
//
// Threading: every call, and every callback, happens on the executor given to create()
// (one thread). Callbacks are always posted, never run inside resolve(), lookup_addresses()
// or close().
//
// Lifetime and reload: a query in flight holds the resolver (shared_from_this) until it
// has answered. On a config reload, build a new Resolver, send new queries to it, and
// simply drop the old one: its in-flight queries still get their answers, and when the
// last one is done (at the latest after the upstream timeout) the old resolver is
// destroyed and closes its upstreams. The cache starts empty after a reload, as the
// upstream routing that produced the old answers may have changed. close() is for
// shutdown: it aborts everything at once.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "config/upstream_spec.hpp"
#include "dns/resolve/answer_cache.hpp"
#include "dns/resolve/client_query.hpp"
#include "dns/resolve/ip_set.hpp"
#include "dns/resolve/upstream_group.hpp"
#include "dns/upstream/upstream.hpp"
#include "net/domain_pattern.hpp"
#include "net/ip_address.hpp"

namespace shunt::dns {

struct ResolverConfig {
    std::vector<UpstreamSpec> upstreams;  // the default group
    // First matching pattern wins.
    std::vector<std::pair<DomainPattern, std::vector<UpstreamSpec>>> nameserver_policy;
    struct Split {
        std::vector<UpstreamSpec> domestic, foreign;
        std::string domestic_ip_set_path;
    };
    // When set, names with no policy go through the split instead of `upstreams`.
    std::optional<Split> split;
    UpstreamOptions upstream_options;  // timeout, ca_file, bootstrap
    std::size_t cache_size = 4096;
};

class Resolver : public std::enable_shared_from_this<Resolver> {
    struct PrivateTag {};

  public:
    // The answer to send (already carrying the client's id), or an error: the caller
    // then answers SERVFAIL (operation_aborted: shutting down, answer nothing).
    using Callback =
        std::function<void(boost::system::error_code ec, std::vector<std::uint8_t> answer)>;
    using AddressCallback =
        std::function<void(boost::system::error_code ec, std::vector<IpAddress> addresses)>;
    // Makes one upstream; make_upstream() unless a caller (tests) wants another.
    using UpstreamFactory = std::function<std::shared_ptr<Upstream>(
        boost::asio::any_io_executor, const UpstreamSpec&, const UpstreamOptions&)>;

    // How long past the upstream timeout a query may take before the resolver gives up
    // on its own: upstreams promise to call back by their timeout, this is the backstop.
    static constexpr std::chrono::milliseconds kDeadlineMargin{250};

    struct Stats {
        std::uint64_t queries = 0;  // resolve() calls plus lookup_addresses() questions
        std::uint64_t cache_hits = 0;
        std::uint64_t joined = 0;    // queries that joined the same question in flight
        std::uint64_t failures = 0;  // answered with an error
    };

    // Throws std::runtime_error with a clear message (an IP set file error names
    // file:line; an empty split group; an upstream that cannot be made).
    static std::shared_ptr<Resolver> create(boost::asio::any_io_executor executor,
                                            const ResolverConfig& config);
    static std::shared_ptr<Resolver> create(boost::asio::any_io_executor executor,
                                            const ResolverConfig& config, UpstreamFactory factory,
                                            AnswerCache::Options cache_options);

    Resolver(PrivateTag, boost::asio::any_io_executor executor, AnswerCache::Options cache_options,
             std::chrono::milliseconds timeout);
    ~Resolver();
    Resolver(const Resolver&) = delete;
    Resolver& operator=(const Resolver&) = delete;

    // `query` is a validated client query (wire bytes); name (normalised), qtype and
    // qclass are its question. `callback` runs exactly once, at the latest after the
    // upstream timeout plus kDeadlineMargin.
    void resolve(std::span<const std::uint8_t> query, std::string_view name, std::uint16_t qtype,
                 std::uint16_t qclass, Callback callback);

    // Real A and AAAA addresses of a name (both asked at once, through the same routes
    // and cache). An IP literal is returned as is. Errors: host_not_found (NXDOMAIN),
    // no_data (the name has no address), invalid_argument (not a name), or the upstream
    // failure when neither question was answered.
    void lookup_addresses(std::string_view name, AddressCallback callback);

    // Aborts everything: pending callbacks get operation_aborted, upstreams are closed,
    // later calls fail with operation_aborted. For shutdown.
    void close();

    const Stats& stats() const { return stats_; }
    std::size_t in_flight() const { return in_flight_.size(); }
    std::size_t cache_size() const { return cache_.size(); }
    // Forgets every cached answer (the API's POST /cache/dns/flush).
    void clear_cache() { cache_.clear(); }

  private:
    struct Resolution;
    struct Route;

    void start(const std::string& name, std::uint16_t qtype, std::uint16_t qclass,
               ClientQuery client, Callback callback);
    const Route& route_for(std::string_view name) const;
    void launch(const std::shared_ptr<Resolution>& resolution, const Route& route);
    void complete(const std::shared_ptr<Resolution>& resolution, UpstreamOutcome outcome,
                  bool cacheable);
    void fail(const std::shared_ptr<Resolution>& resolution, boost::system::error_code ec);
    void post_result(Callback callback, boost::system::error_code ec,
                     std::vector<std::uint8_t> answer);

    boost::asio::any_io_executor executor_;
    std::chrono::milliseconds timeout_;
    AnswerCache cache_;
    std::vector<std::shared_ptr<Upstream>> upstreams_;  // each distinct URL once
    std::vector<std::pair<DomainPattern, std::shared_ptr<Route>>> policy_routes_;
    std::shared_ptr<Route> default_route_;
    std::shared_ptr<const IpSet> domestic_set_;
    std::unordered_map<CacheKey, std::shared_ptr<Resolution>, CacheKeyHash> in_flight_;
    std::mt19937 random_;
    Stats stats_;
    bool closed_ = false;
};

}  // namespace shunt::dns
