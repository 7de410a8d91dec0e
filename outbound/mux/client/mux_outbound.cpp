#include "outbound/mux/client/mux_outbound.hpp"

#include <algorithm>
#include <stdexcept>

#include <boost/asio/post.hpp>

#include "net/event_loop_thread.hpp"
#include "outbound/mux/client/carrier_threads.hpp"
#include "outbound/mux/client/mux_udp_outbound.hpp"
#include "outbound/threaded_stream.hpp"
#include "outbound/threaded_udp_outbound.hpp"

namespace shunt::outbound::mux {

// One pool and what home knows of it. The pool belongs to `thread` (null: home): home
// never calls it there, and hands it back to the thread to be retired.
struct MuxOutbound::Shard {
    EventLoopThread* thread = nullptr;
    std::shared_ptr<CarrierPool> pool;
    std::size_t carriers_up = 0;  // as the pool last reported it
    std::size_t streams = 0;      // streams handed out and not yet closed
};

namespace {

// A lookup for a pool on `thread`: the resolver belongs to home, its answer to the pool.
AddressLookup lookup_from(EventLoopThread& thread, boost::asio::any_io_executor home,
                          AddressLookup lookup) {
    return [&thread, home = std::move(home), lookup = std::move(lookup)](const std::string& name,
                                                                         AddressCallback done) {
        boost::asio::post(home, [&thread, lookup, name, done = std::move(done)]() mutable {
            lookup(
                name, [&thread, done = std::move(done)](const boost::system::error_code& ec,
                                                        std::vector<IpAddress> addresses) mutable {
                    boost::asio::post(thread.executor(),
                                      [done = std::move(done), ec,
                                       addresses = std::move(addresses)] { done(ec, addresses); });
                });
        });
    };
}

// Counts a flow on `shard` now (so that flows opening together spread over the pools);
// the returned callable, run on home when the flow ends, takes it off again.
std::function<void()> count_stream(const std::shared_ptr<MuxOutbound::Shard>& shard) {
    ++shard->streams;
    return [weak = std::weak_ptr(shard)] {
        if (auto s = weak.lock()) --s->streams;
    };
}

}  // namespace

HostPort wire_address(const Target& target) {
    HostPort address;
    if (!target.domain.empty())
        address.domain = target.domain;
    else
        address.address = target.address;
    address.port = target.port;
    return address;
}

MuxOutbound::MuxOutbound(boost::asio::any_io_executor executor, MuxClientOptions options,
                         AddressLookup lookup, CarrierThreads* threads)
    : executor_(executor), name_(options.name), udp_(options.udp) {
    if (threads == nullptr || threads->capacity() == 0) {
        auto shard = std::make_shared<Shard>();
        shard->pool =
            std::make_shared<CarrierPool>(executor_, std::move(options), std::move(lookup));
        shards_.push_back(std::move(shard));
        return;
    }
    const std::size_t carriers = std::max<std::size_t>(options.carriers, 1);
    options.carriers = 1;
    for (std::size_t i = 0; i < carriers; ++i) {
        auto shard = std::make_shared<Shard>();
        shard->thread = threads->next();
        auto& thread = *shard->thread;
        // Made on its thread: the pool's timers and TLS context are the thread's from the
        // start. A bad CA file throws out of here as it would on home.
        shard->pool = thread.call([&] {
            auto pool = std::make_shared<CarrierPool>(thread.executor(), options,
                                                      lookup_from(thread, executor_, lookup));
            pool->on_carriers_up([home = executor_, weak = std::weak_ptr(shard)](std::size_t up) {
                boost::asio::post(home, [weak, up] {
                    if (auto s = weak.lock()) s->carriers_up = up;
                });
            });
            return pool;
        });
        shards_.push_back(std::move(shard));
    }
}

MuxOutbound::~MuxOutbound() {
    // Flows still waiting for a stream fail as a retired pool fails its waiting ones.
    for (auto& [id, open] : opens_)
        boost::asio::post(executor_, [handler = std::move(open.handler)] {
            handler(boost::asio::error::operation_aborted, nullptr, "replaced by a reload");
        });
    opens_.clear();
    // Flows already relaying keep their carriers until they finish (a reload replaces
    // outbounds; it must not cut connections).
    for (auto& shard : shards_) {
        if (shard->thread == nullptr) {
            shard->pool->retire();
            continue;
        }
        boost::asio::post(shard->thread->executor(), [pool = std::move(shard->pool)]() mutable {
            pool->retire();
            pool.reset();
        });
    }
}

CarrierPool& MuxOutbound::pool() {
    if (shards_.size() != 1 || shards_.front()->thread != nullptr)
        throw std::logic_error("mux " + name_ + ": its carriers run on threads");
    return *shards_.front()->pool;
}

std::size_t MuxOutbound::threaded_pools() const {
    return static_cast<std::size_t>(std::count_if(
        shards_.begin(), shards_.end(), [](const auto& s) { return s->thread != nullptr; }));
}

std::size_t MuxOutbound::streams_on(std::size_t index) const {
    return shards_.at(index)->streams;
}

const std::shared_ptr<MuxOutbound::Shard>& MuxOutbound::pick() {
    if (!started_) {
        started_ = true;
        for (const auto& shard : shards_) {
            if (shard->thread == nullptr) continue;  // its first open starts it
            boost::asio::post(shard->thread->executor(), [pool = std::weak_ptr(shard->pool)] {
                if (auto live = pool.lock()) live->start();
            });
        }
    }
    const std::shared_ptr<Shard>* best = &shards_.front();
    for (const auto& shard : shards_) {
        const bool up = shard->carriers_up > 0;
        const bool best_up = (*best)->carriers_up > 0;
        if ((up && !best_up) || (up == best_up && shard->streams < (*best)->streams)) best = &shard;
    }
    return *best;
}

void MuxOutbound::connect(const Target& target, ConnectHandler handler) {
    const auto& picked = pick();
    Shard& shard = *picked;
    if (shard.thread == nullptr) {
        shard.pool->open(
            Network::tcp, wire_address(target),
            [handler = std::move(handler)](const boost::system::error_code& ec,
                                           std::unique_ptr<MuxStream> stream, std::string reason) {
                handler(ec, std::move(stream), std::move(reason));
            });
        return;
    }
    const std::uint64_t id = next_open_++;
    opens_.emplace(id, PendingOpen{std::move(handler), target, false});
    open_on(picked, id);
}

// The flow's handler stays here, on home (it holds the flow's session, which must never be
// destroyed on a carrier thread); the thread is told only which open it serves.
void MuxOutbound::open_on(const std::shared_ptr<Shard>& shard, std::uint64_t id) {
    auto release = count_stream(shard);
    // Back on home: the outbound may be gone (a reload failed its flows already).
    auto finish = [this, alive = std::weak_ptr(alive_), release](
                      const boost::system::error_code& ec, std::unique_ptr<Stream> stream,
                      std::string reason, std::uint64_t open) mutable {
        if (!stream) release();
        if (alive.lock()) on_opened(open, ec, std::move(stream), std::move(reason));
    };
    auto& thread = *shard->thread;
    boost::asio::post(thread.executor(), [&thread, home = executor_,
                                          pool = std::weak_ptr(shard->pool),
                                          address = wire_address(opens_.at(id).target), id,
                                          finish = std::move(finish), release]() mutable {
        auto live = pool.lock();
        if (!live) {
            boost::asio::post(home, [finish = std::move(finish), id]() mutable {
                finish(boost::asio::error::operation_aborted, nullptr, "replaced by a reload", id);
            });
            return;
        }
        live->open(Network::tcp, address,
                   [&thread, home, finish = std::move(finish), release, id](
                       const boost::system::error_code& ec, std::unique_ptr<MuxStream> stream,
                       std::string reason) mutable {
                       std::unique_ptr<Stream> threaded;
                       if (stream)
                           threaded = std::make_unique<ThreadedStream>(thread, home,
                                                                       std::move(stream), release);
                       boost::asio::post(home, [finish = std::move(finish), ec, id,
                                                threaded = std::move(threaded),
                                                reason = std::move(reason)]() mutable {
                           finish(ec, std::move(threaded), std::move(reason), id);
                       });
                   });
    });
}

void MuxOutbound::on_opened(std::uint64_t id, const boost::system::error_code& ec,
                            std::unique_ptr<Stream> stream, std::string reason) {
    const auto it = opens_.find(id);
    if (it == opens_.end()) return;
    PendingOpen open = std::move(it->second);
    opens_.erase(it);
    // This pool's carrier could not be had (down, refused): one other pool with a carrier
    // up gets the flow, as one pool of N carriers would have served it from another.
    if (ec && ec != boost::asio::error::operation_aborted && !open.retried) {
        for (const auto& shard : shards_) {
            if (shard->carriers_up == 0) continue;
            open.retried = true;
            opens_.emplace(id, std::move(open));
            open_on(shard, id);
            return;
        }
    }
    open.handler(ec, std::move(stream), std::move(reason));
}

std::unique_ptr<UdpOutbound> MuxOutbound::open_udp(const Target& target, const Endpoint& as_seen,
                                                   std::string& refusal) {
    if (!udp_) {
        refusal = "udp = false";
        return nullptr;
    }
    const auto& picked = pick();
    Shard& shard = *picked;
    if (shard.thread == nullptr)
        return std::make_unique<MuxUdpOutbound>(shard.pool, target, as_seen);
    return std::make_unique<ThreadedUdpOutbound>(
        *shard.thread, executor_,
        [pool = std::weak_ptr(shard.pool), target, as_seen]() -> std::unique_ptr<UdpOutbound> {
            auto live = pool.lock();
            if (!live) return nullptr;
            return std::make_unique<MuxUdpOutbound>(std::move(live), target, as_seen);
        },
        "mux: replaced by a reload", count_stream(picked));
}

}  // namespace shunt::outbound::mux
