// ThreadedUdpOutbound: a UdpOutbound whose far side runs on a worker thread (a UDP flow on
// a mux carrier that lives there). The session table on the home loop sees an ordinary
// UdpOutbound; the inner one is made, used and destroyed on the worker.
//
// Datagrams cross as copies, each way bounded by kMaxInFlight bytes not yet taken by the
// other side: beyond it send() says would_block and replies are dropped — what a full
// socket buffer does, never a queue without bound. Home's handlers live in a part only
// home holds; the worker's callbacks reach it by weak reference.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "outbound/udp_outbound.hpp"

namespace shunt {
class EventLoopThread;
}

namespace shunt::outbound {

class ThreadedUdpOutbound final : public UdpOutbound {
  public:
    static constexpr std::size_t kMaxInFlight = 256 * 1024;
    // Runs on the worker when the flow starts; nullptr when the outbound cannot serve the
    // flow any more (its error handler then hears `gone`).
    using Factory = std::function<std::unique_ptr<UdpOutbound>()>;

    // `worker` must outlive every ThreadedUdpOutbound on it. `on_close` runs on home once,
    // when the outbound is closed or destroyed.
    ThreadedUdpOutbound(EventLoopThread& worker, boost::asio::any_io_executor home, Factory make,
                        std::string gone, std::function<void()> on_close = {});
    ~ThreadedUdpOutbound() override;

    void start(ReceiveHandler on_receive, ErrorHandler on_error) override;
    UdpSendResult send(std::span<const std::uint8_t> payload, const Endpoint& destination) override;
    void close() override;

    struct WorkerSide;
    struct HomeSide;

  private:
    EventLoopThread& worker_;
    boost::asio::any_io_executor home_;
    Factory make_;
    std::string gone_;
    std::shared_ptr<WorkerSide> worker_side_;  // released on the worker, never here
    std::shared_ptr<HomeSide> home_side_;
    std::function<void()> on_close_;
    bool closed_ = false;
};

}  // namespace shunt::outbound
