// TunPump: moves packets between the TUN device and the netstack on the event loop.
//
// Reads: on readiness, up to kBatch packets are read with non-blocking read(2) into one
// buffer and handed, one at a time, to the handler (TCP to lwIP, the rest to UDP/ICMP).
// The handler must finish with the bytes before it returns; no packet is queued here.
// Writes: one non-blocking write(2) per packet. A full TUN queue drops the packet and
// counts it: TCP retransmits, UDP may lose, and nothing grows without bound.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "netstack/packet/outgoing_packet.hpp"

struct iovec;

namespace shunt::netstack {

class TunPump {
  public:
    using PacketHandler = std::function<void(std::span<const std::uint8_t>)>;
    // The device failed for good (its read gave an error other than "nothing now", e.g.
    // EBADFD once someone deleted it): the pump has stopped; called once, posted.
    using FailureHandler = std::function<void(int error)>;

    struct Stats {
        std::uint64_t packets_read = 0;
        std::uint64_t packets_written = 0;
        std::uint64_t write_dropped = 0;  // the device's queue was full, or an error
    };

    // Does not own `fd` (the TunDevice does); `mtu` sizes the read buffer. With
    // `vnet_header` (an offloading device) every packet carries a virtio_net_hdr, which the
    // pump strips on read and adds (all zero: a plain, fully checksummed packet) on write,
    // and reads take up to 64 KB.
    TunPump(boost::asio::any_io_executor executor, int fd, int mtu, PacketHandler on_packet,
            bool vnet_header = false);
    ~TunPump();
    TunPump(const TunPump&) = delete;
    TunPump& operator=(const TunPump&) = delete;

    void start();
    void stop();
    void on_failure(FailureHandler handler) { on_failure_ = std::move(handler); }
    void write(std::span<const std::uint8_t> packet);
    // A packet in parts (lwIP's pbuf chain), gathered by one writev(2).
    void write(const OutgoingPacket& packet);
    // On an offloading device: the caller's virtio_net_hdr first, then the packet's parts
    // (the GSO coalescer's combined packets).
    void write_gather(std::span<const iovec> parts);
    const Stats& stats() const { return stats_; }

  private:
    static constexpr int kBatch = 64;

    void wait_readable();
    void read_batch();
    void fail(int error);

    boost::asio::posix::stream_descriptor descriptor_;
    int fd_;
    bool vnet_header_;
    PacketHandler on_packet_;
    FailureHandler on_failure_;
    std::vector<std::uint8_t> buffer_;
    bool running_ = false;
    Stats stats_;
    std::shared_ptr<char> alive_ = std::make_shared<char>();  // for posted continuations
};

}  // namespace shunt::netstack
