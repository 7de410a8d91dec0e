// GsoCoalescer: turns a run of lwIP's MSS-sized TCP segments into one 64 KB write to an
// offloading TUN device, which the kernel then takes as a single GSO packet (TSO in
// reverse): the download direction's one write(2) per 9 KB segment becomes one per 64 KB.
//
// Segments join the pending packet only when it is safe to present them as one: same
// addresses and ports, contiguous sequence numbers, the same ACK number, window and flags
// (ACK, optionally PSH on the last), no TCP options, and every segment but the last exactly
// gso_size long. Anything else (SYN, FIN, RST, pure ACKs, UDP, ICMP) flushes the pending
// packet and is written on its own, unchanged, so ordering is kept.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace shunt::netstack {

class GsoCoalescer {
  public:
    // `header`: the 10-byte virtio_net_hdr to send in front of `packet`.
    using Writer = std::function<void(std::span<const std::uint8_t> header,
                                      std::span<const std::uint8_t> packet)>;

    explicit GsoCoalescer(Writer writer);

    // One IP packet from lwIP (copied; the caller's buffer may be reused).
    void add(std::span<const std::uint8_t> packet);
    // Writes what is pending. Call once the current burst of output is over.
    void flush();
    bool pending() const { return segments_ > 0; }

    std::uint64_t segments_coalesced() const { return coalesced_; }

  private:
    struct TcpView;
    static bool parse(std::span<const std::uint8_t> packet, TcpView& view);
    bool continues(const TcpView& view) const;
    bool same_flow(std::span<const std::uint8_t> packet, const TcpView& view) const;
    void start(std::span<const std::uint8_t> packet, const TcpView& view);
    void append(const TcpView& view);
    void write_plain(std::span<const std::uint8_t> packet);

    Writer writer_;
    std::vector<std::uint8_t> buffer_;  // the pending packet: headers of the first, payloads
    std::size_t segments_ = 0;
    std::size_t header_length_ = 0;  // IP + TCP
    std::size_t gso_size_ = 0;
    bool last_short_ = false;  // a segment shorter than gso_size ends the run
    std::uint32_t next_seq_ = 0;
    std::uint64_t coalesced_ = 0;
};

}  // namespace shunt::netstack
