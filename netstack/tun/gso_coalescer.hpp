// GsoCoalescer: turns a run of lwIP's MSS-sized TCP segments into one 64 KB write to an
// offloading TUN device, which the kernel then takes as a single GSO packet (TSO in
// reverse): the download direction's one write(2) per 9 KB segment becomes one per 64 KB.
//
// Segments join the pending run only when it is safe to present them as one: same
// addresses and ports, contiguous sequence numbers, the same ACK number, window and flags
// (ACK, optionally PSH on the last), no TCP options, and every segment but the last exactly
// gso_size long. Anything else (SYN, FIN, RST, pure ACKs, UDP, ICMP) flushes the pending
// run and is written on its own, so ordering is kept.
//
// No payload is copied: the run holds lwIP's pbufs (one reference each) and the write
// gathers their parts behind one rewritten header. With `partial_checksums` lwIP computes
// no TCP checksum at all (LwipStack's offload mode): every TCP packet, alone or combined,
// goes out as CHECKSUM_PARTIAL with the pseudo-header sum in its checksum field, and the
// kernel finishes it only if the packet leaves the machine (a local socket needs none).
#pragma once

#include <sys/uio.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "netstack/packet/outgoing_packet.hpp"

namespace shunt::netstack {

class GsoCoalescer {
  public:
    // The 10-byte virtio_net_hdr first, then the packet's parts: one writev(2).
    using Writer = std::function<void(std::span<const iovec> parts)>;

    GsoCoalescer(Writer writer, bool partial_checksums);

    // One IP packet from lwIP; held until flush() if it may start or join a run.
    void add(OutgoingPacket packet);
    // Writes what is pending. Call once the current burst of output is over.
    void flush();
    bool pending() const { return !run_.empty(); }

    std::uint64_t segments_coalesced() const { return coalesced_; }

  private:
    struct TcpView;
    static constexpr std::size_t kMaxHeader = 40 + 60;  // IPv6 + TCP with options
    // writev(2) takes at most UIO_MAXIOV (1024) parts.
    static constexpr std::size_t kMaxIov = 1024;

    static bool parse(const OutgoingPacket& packet, TcpView& view);
    bool continues(const OutgoingPacket& packet, const TcpView& view) const;
    bool same_flow(const OutgoingPacket& packet, const TcpView& view) const;
    void start(OutgoingPacket packet, const TcpView& view);
    void append(OutgoingPacket packet, const TcpView& view);
    void write_single(const OutgoingPacket& packet);
    void add_payload_parts(const OutgoingPacket& packet, std::size_t skip);

    Writer writer_;
    bool partial_checksums_;
    std::vector<OutgoingPacket> run_;                // the pending run's segments, in order
    std::array<std::uint8_t, kMaxHeader> header_{};  // the first segment's IP + TCP header
    std::size_t header_length_ = 0;
    std::size_t run_bytes_ = 0;  // header + every payload so far
    std::size_t run_parts_ = 0;  // iovecs the run's payloads need
    std::size_t gso_size_ = 0;
    bool last_short_ = false;  // a segment shorter than gso_size ends the run
    std::uint32_t next_seq_ = 0;
    std::uint64_t coalesced_ = 0;
    std::vector<iovec> iov_;  // reused for every write
};

}  // namespace shunt::netstack
