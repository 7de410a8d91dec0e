#include "outbound/threaded_udp_outbound.hpp"

#include <string>
#include <vector>

#include <boost/asio/post.hpp>

#include "net/event_loop_thread.hpp"

namespace shunt::outbound {

// Home's handlers and the count of replies on their way to home.
struct ThreadedUdpOutbound::HomeSide {
    ReceiveHandler on_receive;
    ErrorHandler on_error;
    std::atomic<std::size_t> to_home{0};    // bytes posted to home, not yet delivered
    std::atomic<std::size_t> to_worker{0};  // bytes posted to the worker, not yet sent
};

struct ThreadedUdpOutbound::WorkerSide {
    std::unique_ptr<UdpOutbound> inner;

    void close() {
        if (!inner) return;
        inner->close();
        inner.reset();
    }
};

ThreadedUdpOutbound::ThreadedUdpOutbound(EventLoopThread& worker, boost::asio::any_io_executor home,
                                         Factory make, std::string gone,
                                         std::function<void()> on_close)
    : worker_(worker),
      home_(std::move(home)),
      make_(std::move(make)),
      gone_(std::move(gone)),
      worker_side_(std::make_shared<WorkerSide>()),
      home_side_(std::make_shared<HomeSide>()),
      on_close_(std::move(on_close)) {}

ThreadedUdpOutbound::~ThreadedUdpOutbound() {
    close();
}

void ThreadedUdpOutbound::start(ReceiveHandler on_receive, ErrorHandler on_error) {
    home_side_->on_receive = std::move(on_receive);
    home_side_->on_error = std::move(on_error);
    auto report_error = [home = home_, weak = std::weak_ptr(home_side_)](std::string reason) {
        boost::asio::post(home, [weak, reason = std::move(reason)] {
            auto side = weak.lock();
            if (side && side->on_error) side->on_error(reason);
        });
    };
    // The factory is carried to the worker and destroyed there: what it holds (a carrier
    // pool) belongs to the worker.
    boost::asio::post(worker_.executor(), [weak_worker = std::weak_ptr(worker_side_),
                                           weak_home = std::weak_ptr(home_side_), home = home_,
                                           make = std::move(make_), gone = gone_,
                                           report_error]() mutable {
        auto side = weak_worker.lock();
        auto made = side ? make() : nullptr;
        make = nullptr;
        if (!side) return;
        if (!made) return report_error(gone);
        side->inner = std::move(made);
        side->inner->start(
            [home, weak_home](std::span<const std::uint8_t> payload, const Endpoint& from) {
                auto home_side = weak_home.lock();
                if (!home_side) return;
                // Dropped, not queued, while home is this far behind.
                if (home_side->to_home.fetch_add(payload.size()) + payload.size() > kMaxInFlight) {
                    home_side->to_home.fetch_sub(payload.size());
                    return;
                }
                boost::asio::post(
                    home, [weak_home, from,
                           data = std::vector<std::uint8_t>(payload.begin(), payload.end())] {
                        auto side = weak_home.lock();
                        if (!side) return;
                        side->to_home.fetch_sub(data.size());
                        if (side->on_receive) side->on_receive(data, from);
                    });
            },
            [report_error](std::string_view reason) { report_error(std::string(reason)); });
    });
}

UdpSendResult ThreadedUdpOutbound::send(std::span<const std::uint8_t> payload,
                                        const Endpoint& destination) {
    if (closed_) return UdpSendResult::failed;
    auto& to_worker = home_side_->to_worker;
    if (to_worker.load() + payload.size() > kMaxInFlight) return UdpSendResult::would_block;
    to_worker.fetch_add(payload.size());
    boost::asio::post(
        worker_.executor(),
        [weak = std::weak_ptr(worker_side_), weak_home = std::weak_ptr(home_side_), destination,
         data = std::vector<std::uint8_t>(payload.begin(), payload.end())] {
            if (auto home_side = weak_home.lock()) home_side->to_worker.fetch_sub(data.size());
            auto side = weak.lock();
            if (side && side->inner) side->inner->send(data, destination);
        });
    return UdpSendResult::sent;
}

void ThreadedUdpOutbound::close() {
    if (closed_) return;
    closed_ = true;
    home_side_->on_receive = nullptr;
    home_side_->on_error = nullptr;
    make_ = nullptr;  // never started: nothing of the worker's was made
    boost::asio::post(worker_.executor(), [side = std::move(worker_side_)]() mutable {
        side->close();
        side.reset();
    });
    if (auto on_close = std::move(on_close_)) on_close();
}

}  // namespace shunt::outbound
