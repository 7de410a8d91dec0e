// PendingDatagrams: the few datagrams a UDP flow sends before its outbound is ready (a
// name being resolved, a proxy association or mux stream being opened). The first packets
// of QUIC or DNS must not be lost to that wait, but nothing queues without bound: beyond
// the limit a datagram is refused as would_block, as a full socket buffer would.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <vector>

#include "net/ip_address.hpp"
#include "outbound/udp_outbound.hpp"

namespace shunt::outbound {

class PendingDatagrams {
  public:
    static constexpr std::size_t kLimit = 16;

    UdpSendResult push(std::span<const std::uint8_t> payload, const Endpoint& destination) {
        if (queue_.size() >= kLimit) return UdpSendResult::would_block;
        queue_.push_back({{payload.begin(), payload.end()}, destination});
        return UdpSendResult::sent;
    }

    // Hands each datagram, oldest first, to send(payload, destination) while keep_going()
    // holds (the outbound may close from inside send).
    template <typename Send, typename KeepGoing>
    void drain(Send&& send, KeepGoing&& keep_going) {
        while (!queue_.empty() && keep_going()) {
            auto datagram = std::move(queue_.front());
            queue_.pop_front();
            send(std::span<const std::uint8_t>(datagram.payload), datagram.destination);
        }
    }

    void clear() { queue_.clear(); }
    std::size_t size() const { return queue_.size(); }

  private:
    struct Datagram {
        std::vector<std::uint8_t> payload;
        Endpoint destination;
    };
    std::deque<Datagram> queue_;
};

}  // namespace shunt::outbound
