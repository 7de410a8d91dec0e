#include "dns/resolve/resolver.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <stdexcept>
#include <unordered_map>

#include "dns/resolve/message_scan.hpp"
#include "dns/resolve/split_race.hpp"
#include "net/domain_name.hpp"

namespace shunt::dns {

// Where the questions for a set of names go.
struct Resolver::Route {
    UpstreamGroup group;                   // the group, or the domestic side of a split
    std::optional<UpstreamGroup> foreign;  // set for a split
};

// One question in flight, and every client waiting for its answer.
struct Resolver::Resolution {
    explicit Resolution(boost::asio::any_io_executor executor) : deadline(std::move(executor)) {}

    CacheKey key;
    std::vector<std::pair<ClientQuery, Callback>> waiters;
    boost::asio::steady_timer deadline;
    std::unique_ptr<SplitRace> split;
    bool finished = false;
};

namespace {

std::vector<std::shared_ptr<Upstream>> make_members(
    const std::vector<UpstreamSpec>& specs,
    std::unordered_map<std::string, std::shared_ptr<Upstream>>& by_url,
    const std::function<std::shared_ptr<Upstream>(const UpstreamSpec&)>& make) {
    std::vector<std::shared_ptr<Upstream>> members;
    for (const auto& spec : specs) {
        // One instance per URL: a server named in several groups shares its
        // connections (tls/https) and its bootstrap resolution.
        auto& upstream = by_url[spec.text];
        if (!upstream) upstream = make(spec);
        members.push_back(upstream);
    }
    return members;
}

}  // namespace

std::shared_ptr<Resolver> Resolver::create(boost::asio::any_io_executor executor,
                                           const ResolverConfig& config) {
    AnswerCache::Options cache_options;
    cache_options.max_entries = config.cache_size;
    return create(std::move(executor), config, make_upstream, std::move(cache_options));
}

std::shared_ptr<Resolver> Resolver::create(boost::asio::any_io_executor executor,
                                           const ResolverConfig& config, UpstreamFactory factory,
                                           AnswerCache::Options cache_options) {
    auto resolver = std::make_shared<Resolver>(PrivateTag{}, executor, std::move(cache_options),
                                               config.upstream_options.timeout);
    std::unordered_map<std::string, std::shared_ptr<Upstream>> by_url;
    auto make = [&](const UpstreamSpec& spec) {
        try {
            auto upstream = factory(executor, spec, config.upstream_options);
            if (!upstream) throw std::runtime_error("not supported");
            resolver->upstreams_.push_back(upstream);
            return upstream;
        } catch (const std::exception& e) {
            throw std::runtime_error("dns upstream " + spec.text + ": " + e.what());
        }
    };

    for (const auto& [pattern, specs] : config.nameserver_policy) {
        if (specs.empty())
            throw std::runtime_error("dns nameserver_policy \"" + pattern.text +
                                     "\": no upstreams");
        auto route = std::make_shared<Route>(
            Route{UpstreamGroup("policy " + pattern.text, make_members(specs, by_url, make)), {}});
        resolver->policy_routes_.emplace_back(pattern, std::move(route));
    }
    if (config.split) {
        const auto& split = *config.split;
        if (split.domestic.empty() || split.foreign.empty())
            throw std::runtime_error(
                "dns split: both the domestic and the foreign group need upstreams");
        try {
            resolver->domestic_set_ =
                std::make_shared<IpSet>(IpSet::load_file(split.domestic_ip_set_path));
        } catch (const std::exception& e) {
            throw std::runtime_error(std::string("dns split domestic IP set: ") + e.what());
        }
        if (resolver->domestic_set_->empty())
            spdlog::warn(
                "dns: the domestic IP set {} is empty: every name will get the foreign answer",
                split.domestic_ip_set_path);
        resolver->default_route_ = std::make_shared<Route>(
            Route{UpstreamGroup("domestic", make_members(split.domestic, by_url, make)),
                  UpstreamGroup("foreign", make_members(split.foreign, by_url, make))});
    } else {
        if (config.upstreams.empty())
            spdlog::warn("dns: no upstreams: queries not answered locally will get SERVFAIL");
        resolver->default_route_ = std::make_shared<Route>(
            Route{UpstreamGroup("default", make_members(config.upstreams, by_url, make)), {}});
    }
    return resolver;
}

Resolver::Resolver(PrivateTag, boost::asio::any_io_executor executor,
                   AnswerCache::Options cache_options, std::chrono::milliseconds timeout)
    : executor_(std::move(executor)),
      timeout_(timeout),
      cache_(std::move(cache_options)),
      random_(std::random_device{}()) {}

Resolver::~Resolver() {
    // Queries of ours in flight hold `this`, so only losers of a race can still be
    // running in an upstream; their callbacks ignore the abort.
    for (auto& upstream : upstreams_) upstream->close();
}

void Resolver::post_result(Callback callback, boost::system::error_code ec,
                           std::vector<std::uint8_t> answer) {
    if (ec) ++stats_.failures;
    boost::asio::post(executor_,
                      [callback = std::move(callback), ec, answer = std::move(answer)]() mutable {
                          callback(ec, std::move(answer));
                      });
}

void Resolver::resolve(std::span<const std::uint8_t> query, std::string_view name,
                       std::uint16_t qtype, std::uint16_t qclass, Callback callback) {
    ++stats_.queries;
    if (closed_) return post_result(std::move(callback), boost::asio::error::operation_aborted, {});
    auto client = ClientQuery::from_wire(query);
    if (!client) return post_result(std::move(callback), boost::asio::error::invalid_argument, {});
    start(std::string(name), qtype, qclass, std::move(*client), std::move(callback));
}

const Resolver::Route& Resolver::route_for(std::string_view name) const {
    for (const auto& [pattern, route] : policy_routes_)
        if (pattern.matches(name)) return *route;
    return *default_route_;
}

void Resolver::start(const std::string& name, std::uint16_t qtype, std::uint16_t qclass,
                     ClientQuery client, Callback callback) {
    CacheKey key{name, qtype, qclass, client.flavor()};
    if (auto cached = cache_.lookup(key, client.id())) {
        ++stats_.cache_hits;
        client.adapt_answer(*cached);
        return post_result(std::move(callback), {}, std::move(*cached));
    }
    if (auto it = in_flight_.find(key); it != in_flight_.end()) {
        ++stats_.joined;
        it->second->waiters.emplace_back(std::move(client), std::move(callback));
        return;
    }

    auto resolution = std::make_shared<Resolution>(executor_);
    resolution->key = std::move(key);
    std::vector<std::uint8_t> upstream_query =
        client.upstream_query(static_cast<std::uint16_t>(random_()));
    resolution->waiters.emplace_back(std::move(client), std::move(callback));
    in_flight_.emplace(resolution->key, resolution);

    resolution->deadline.expires_after(timeout_ + kDeadlineMargin);
    resolution->deadline.async_wait(
        [self = shared_from_this(), resolution](boost::system::error_code ec) {
            if (ec) return;  // cancelled: answered in time
            spdlog::debug("dns: {} type {}: no answer within the deadline", resolution->key.name,
                          resolution->key.qtype);
            self->fail(resolution, boost::asio::error::timed_out);
        });

    // Only the deadline handler above holds the resolver strongly while the question is
    // open. Upstream callbacks hold it weakly: an upstream that is still busy after the
    // answer went out (the losing side of a split) must not keep alive the resolver that
    // owns it, or neither would ever be freed if the loop stopped first.
    const Route& route = route_for(resolution->key.name);
    std::weak_ptr<Resolver> weak = weak_from_this();
    if (!route.foreign) {
        route.group.query(upstream_query, [weak, resolution](UpstreamOutcome outcome) {
            if (auto self = weak.lock()) self->complete(resolution, std::move(outcome), true);
        });
        return;
    }
    resolution->split = std::make_unique<SplitRace>(domestic_set_);
    auto on_decision = [weak, resolution](std::optional<SplitRace::Decision> decision) {
        auto self = weak.lock();
        if (!decision || !self) return;
        static constexpr const char* kWinner[] = {"domestic", "foreign", "no"};
        spdlog::debug("dns: {} type {}: {} answer: {}", resolution->key.name, resolution->key.qtype,
                      kWinner[static_cast<int>(decision->winner)], decision->reason);
        self->complete(resolution, std::move(decision->outcome), decision->cacheable);
    };
    route.group.query(upstream_query, [resolution, on_decision](UpstreamOutcome outcome) {
        if (!resolution->finished) on_decision(resolution->split->on_domestic(std::move(outcome)));
    });
    route.foreign->query(upstream_query, [resolution, on_decision](UpstreamOutcome outcome) {
        if (!resolution->finished) on_decision(resolution->split->on_foreign(std::move(outcome)));
    });
}

void Resolver::complete(const std::shared_ptr<Resolution>& resolution, UpstreamOutcome outcome,
                        bool cacheable) {
    if (resolution->finished) return;
    if (outcome.response.empty()) return fail(resolution, outcome.error);
    if (outcome.good && cacheable) cache_.insert(resolution->key, outcome.response);
    resolution->finished = true;
    resolution->deadline.cancel();
    if (auto it = in_flight_.find(resolution->key);
        it != in_flight_.end() && it->second == resolution)
        in_flight_.erase(it);
    // A failure answer (every upstream said SERVFAIL or REFUSED) is passed on as the
    // upstreams gave it: the client learns more from REFUSED than from our SERVFAIL.
    for (auto& [client, callback] : resolution->waiters) {
        std::vector<std::uint8_t> answer = outcome.response;
        client.adapt_answer(answer);
        post_result(std::move(callback), {}, std::move(answer));
    }
    resolution->waiters.clear();
}

void Resolver::fail(const std::shared_ptr<Resolution>& resolution, boost::system::error_code ec) {
    if (resolution->finished) return;
    resolution->finished = true;
    resolution->deadline.cancel();
    if (auto it = in_flight_.find(resolution->key);
        it != in_flight_.end() && it->second == resolution)
        in_flight_.erase(it);
    if (!ec) ec = boost::asio::error::host_unreachable;
    for (auto& [client, callback] : resolution->waiters) post_result(std::move(callback), ec, {});
    resolution->waiters.clear();
}

void Resolver::close() {
    if (closed_) return;
    closed_ = true;
    auto in_flight = std::move(in_flight_);
    in_flight_.clear();
    for (auto& [key, resolution] : in_flight)
        fail(resolution, boost::asio::error::operation_aborted);
    for (auto& upstream : upstreams_) upstream->close();
    cache_.clear();
}

void Resolver::lookup_addresses(std::string_view name, AddressCallback callback) {
    auto post_addresses = [this](AddressCallback cb, boost::system::error_code ec,
                                 std::vector<IpAddress> addresses) {
        boost::asio::post(executor_,
                          [cb = std::move(cb), ec, addresses = std::move(addresses)]() mutable {
                              cb(ec, std::move(addresses));
                          });
    };
    if (auto literal = IpAddress::parse(name))
        return post_addresses(std::move(callback), {}, {*literal});
    auto normalized = normalize_domain(name);
    auto query_a = normalized ? ClientQuery::for_name(*normalized, kTypeA) : std::nullopt;
    auto query_aaaa = normalized ? ClientQuery::for_name(*normalized, kTypeAaaa) : std::nullopt;
    if (!query_a || !query_aaaa)
        return post_addresses(std::move(callback), boost::asio::error::invalid_argument, {});
    if (closed_)
        return post_addresses(std::move(callback), boost::asio::error::operation_aborted, {});

    // Both questions at once; the callback runs when the second one is answered.
    struct Gather {
        int pending = 2;
        std::vector<IpAddress> v4, v6;
        bool nxdomain = false;
        boost::system::error_code first_error;
        int errors = 0;
        AddressCallback callback;
    };
    auto gather = std::make_shared<Gather>();
    gather->callback = std::move(callback);
    auto on_answer = [gather](bool v6) {
        return [gather, v6](boost::system::error_code ec, std::vector<std::uint8_t> answer) {
            auto scanned = ec ? std::nullopt : scan_message(answer);
            unsigned code = scanned ? scanned->rcode() : ~0u;
            if (code == static_cast<unsigned>(Rcode::noerror)) {
                (v6 ? gather->v6 : gather->v4) = scanned_addresses(answer, *scanned);
            } else if (code == static_cast<unsigned>(Rcode::nxdomain)) {
                gather->nxdomain = true;
            } else {
                ++gather->errors;
                if (!gather->first_error)
                    gather->first_error = ec ? ec : boost::asio::error::no_recovery;
            }
            if (--gather->pending > 0) return;
            std::vector<IpAddress> all = std::move(gather->v4);
            all.insert(all.end(), gather->v6.begin(), gather->v6.end());
            boost::system::error_code result;
            if (all.empty()) {
                if (gather->nxdomain)
                    result = boost::asio::error::host_not_found;
                else if (gather->errors == 2)
                    result = gather->first_error;
                else
                    result = boost::asio::error::no_data;
            }
            gather->callback(result, std::move(all));
        };
    };
    ++stats_.queries;
    start(*normalized, kTypeA, kClassIn, std::move(*query_a), on_answer(false));
    ++stats_.queries;
    start(*normalized, kTypeAaaa, kClassIn, std::move(*query_aaaa), on_answer(true));
}

}  // namespace shunt::dns
