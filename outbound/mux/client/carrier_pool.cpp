#include "outbound/mux/client/carrier_pool.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>

#include "outbound/mux/client/carrier_connector.hpp"

namespace shunt::outbound::mux {

namespace {

constexpr std::chrono::milliseconds kFirstBackoff{500};
constexpr std::chrono::milliseconds kMaxBackoff{30'000};

}  // namespace

CarrierPool::CarrierPool(boost::asio::any_io_executor executor, MuxClientOptions options,
                         AddressLookup lookup)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      lookup_(std::move(lookup)),
      tls_(make_client_tls_context(options_)),
      slots_(std::max<std::size_t>(options_.carriers, 1)) {
    for (auto& slot : slots_) slot.retry = std::make_unique<boost::asio::steady_timer>(executor_);
}

CarrierPool::~CarrierPool() {
    stop();
}

void CarrierPool::stop() {
    // Nobody is told of carriers any more: the owner may be gone (the pool is stopped from
    // its destructor at shutdown, when the owner's loop may be too).
    on_carriers_up_ = nullptr;
    if (stopped_) return;
    stopped_ = true;
    for (auto& slot : slots_) {
        slot.retry->cancel();
        if (auto carrier = std::move(slot.carrier)) carrier->close("stopping");
    }
    fail_waiting(boost::asio::error::operation_aborted, "stopping");
}

void CarrierPool::retire() {
    on_carriers_up_ = nullptr;  // the owner is going
    if (stopped_) return;
    stopped_ = true;
    for (auto& slot : slots_) {
        slot.retry->cancel();
        if (auto carrier = std::move(slot.carrier)) carrier->drain("replaced by a reload");
    }
    fail_waiting(boost::asio::error::operation_aborted, "replaced by a reload");
}

std::size_t CarrierPool::carriers_up() const {
    return static_cast<std::size_t>(std::count_if(slots_.begin(), slots_.end(), [](const Slot& s) {
        return s.carrier && s.carrier->state() == CarrierState::ready;
    }));
}

std::size_t CarrierPool::stream_count() const {
    std::size_t count = 0;
    for (const auto& slot : slots_)
        if (slot.carrier) count += slot.carrier->stream_count();
    return count;
}

void CarrierPool::open(Network network, const HostPort& address, OpenHandler handler) {
    if (stopped_) {
        boost::asio::post(executor_, [handler = std::move(handler)] {
            handler(boost::asio::error::operation_aborted, nullptr, "stopping");
        });
        return;
    }
    start();
    if (MuxCarrier* carrier = pick()) {
        auto stream = carrier->open_stream(network, address);
        if (stream) {
            boost::asio::post(executor_,
                              [handler = std::move(handler), stream = std::move(stream)]() mutable {
                                  handler({}, std::move(stream), {});
                              });
            return;
        }
    }
    auto waiting = std::make_shared<Waiting>();
    waiting->network = network;
    waiting->address = address;
    waiting->handler = std::move(handler);
    waiting->timer = std::make_shared<boost::asio::steady_timer>(executor_);
    waiting->timer->expires_after(options_.connect_timeout);
    waiting->timer->async_wait([self = weak_from_this(), w = std::weak_ptr<Waiting>(waiting)](
                                   const boost::system::error_code& ec) {
        auto pool = self.lock();
        auto waiting = w.lock();
        if (ec || !pool || !waiting || !waiting->handler) return;
        std::erase(pool->waiting_, waiting);
        auto handler = std::move(waiting->handler);
        handler(boost::asio::error::timed_out, nullptr,
                "no carrier to the server is up" +
                    (pool->last_error_.empty() ? std::string() : ": " + pool->last_error_));
    });
    waiting_.push_back(std::move(waiting));
}

void CarrierPool::start() {
    if (started_ || stopped_) return;
    started_ = true;
    for (std::size_t i = 0; i < slots_.size(); ++i) connect(i);
}

MuxCarrier* CarrierPool::pick() {
    MuxCarrier* best = nullptr;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        auto& slot = slots_[i];
        // A carrier the server sent GOAWAY on finishes its streams (they keep it alive);
        // its slot connects a replacement for new streams at once.
        if (slot.carrier && slot.carrier->state() == CarrierState::draining) {
            slot.carrier.reset();
            if (!slot.connecting && !stopped_) connect(i);
            continue;
        }
        // Only carriers whose AUTH_OK proved the server: a wrong password or a server that
        // closes must fail the flow with that reason, not after its data went out.
        if (!slot.carrier || slot.carrier->state() != CarrierState::ready) continue;
        if (best == nullptr || slot.carrier->stream_count() < best->stream_count())
            best = slot.carrier.get();
    }
    return best;
}

void CarrierPool::serve_waiting() {
    while (!waiting_.empty()) {
        MuxCarrier* carrier = pick();
        if (carrier == nullptr) return;
        auto waiting = std::move(waiting_.front());
        waiting_.pop_front();
        waiting->timer->cancel();
        auto stream = carrier->open_stream(waiting->network, waiting->address);
        if (!stream) {
            waiting_.push_front(std::move(waiting));
            return;
        }
        auto handler = std::move(waiting->handler);
        boost::asio::post(executor_,
                          [handler = std::move(handler), stream = std::move(stream)]() mutable {
                              handler({}, std::move(stream), {});
                          });
    }
}

void CarrierPool::connect(std::size_t index) {
    if (stopped_) return;
    auto& slot = slots_[index];
    slot.connecting = true;
    const std::weak_ptr<CarrierPool> weak = weak_from_this();
    connect_carrier(
        executor_, options_, tls_, lookup_,
        [weak, index](MuxCarrier&) {
            auto self = weak.lock();
            if (!self) return;
            self->slots_[index].backoff = kFirstBackoff;
            ++self->stats_.connects;
            self->last_error_.clear();
            self->report_carriers_up();
            self->serve_waiting();
        },
        [weak, index](MuxCarrier& carrier, const std::string& reason) {
            if (auto self = weak.lock()) self->on_carrier_closed(index, carrier, reason);
        },
        [weak, index](const boost::system::error_code& ec, std::shared_ptr<MuxCarrier> carrier,
                      std::string reason) {
            auto self = weak.lock();
            if (!self) {
                if (carrier) carrier->close("pool gone");
                return;
            }
            auto& slot = self->slots_[index];
            slot.connecting = false;
            if (self->stopped_) {
                if (carrier) carrier->close("stopping");
                return;
            }
            if (ec) {
                ++self->stats_.connect_failures;
                self->last_error_ = reason;
                spdlog::warn("mux {}: carrier {}: {} (retry in {} ms)", self->options_.name, index,
                             reason, slot.backoff.count());
                self->schedule_retry(index);
                self->fail_waiting_if_hopeless();
                return;
            }
            slot.carrier = std::move(carrier);
            self->serve_waiting();
        });
}

void CarrierPool::on_carrier_closed(std::size_t index, MuxCarrier& carrier,
                                    const std::string& reason) {
    auto& slot = slots_[index];
    if (slot.carrier.get() != &carrier) return;
    slot.carrier.reset();
    ++stats_.carriers_lost;
    last_error_ = reason;
    report_carriers_up();
    if (stopped_) return;
    spdlog::warn("mux {}: carrier {} lost: {} (reconnecting in {} ms)", options_.name, index,
                 reason, slot.backoff.count());
    schedule_retry(index);
    fail_waiting_if_hopeless();
}

// Every slot has failed since the flows started waiting (none connecting, none
// authenticating): tell them now, with the reason, instead of at their deadline.
void CarrierPool::fail_waiting_if_hopeless() {
    if (waiting_.empty()) return;
    for (const auto& slot : slots_) {
        if (slot.connecting || slot.carrier) return;
    }
    fail_waiting(boost::asio::error::connection_refused,
                 "no carrier to the server is up: " + last_error_);
}

// Every flow waiting for a carrier gets `ec` and `reason` (posted, never inline).
void CarrierPool::fail_waiting(const boost::system::error_code& ec, const std::string& reason) {
    auto waiting = std::move(waiting_);
    waiting_.clear();
    for (auto& w : waiting) {
        w->timer->cancel();
        boost::asio::post(executor_, [handler = std::move(w->handler), ec, reason] {
            handler(ec, nullptr, reason);
        });
    }
}

void CarrierPool::report_carriers_up() {
    if (on_carriers_up_) on_carriers_up_(carriers_up());
}

void CarrierPool::schedule_retry(std::size_t index) {
    auto& slot = slots_[index];
    // ±20% jitter: carriers (and clients) that failed together do not retry together.
    std::uniform_real_distribution<double> spread(0.8, 1.2);
    const auto delay = std::chrono::milliseconds(
        static_cast<std::int64_t>(static_cast<double>(slot.backoff.count()) * spread(jitter_)));
    slot.backoff = std::min(slot.backoff * 2, kMaxBackoff);
    slot.retry->expires_after(delay);
    slot.retry->async_wait([weak = weak_from_this(), index](const boost::system::error_code& ec) {
        auto self = weak.lock();
        if (ec || !self) return;
        self->connect(index);
    });
}

}  // namespace shunt::outbound::mux
