// Raw DNS exchanges for tests that need exact bytes on the wire (malformed packets,
// thousands of queries faster than dig can run).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace shunt::test {

// Sends one datagram to 127.0.0.1:port and waits for one reply.
std::optional<std::vector<std::uint8_t>> udp_exchange(int port,
                                                      std::span<const std::uint8_t> packet,
                                                      std::chrono::milliseconds timeout);

// One UDP socket for a conversation: send now, read the reply later (a query left
// pending while the test does something else).
class UdpDnsClient {
  public:
    explicit UdpDnsClient(int port);  // to 127.0.0.1:port
    ~UdpDnsClient();
    UdpDnsClient(const UdpDnsClient&) = delete;
    UdpDnsClient& operator=(const UdpDnsClient&) = delete;

    void send(std::span<const std::uint8_t> packet);
    // The next datagram, or nullopt when none came within `timeout`.
    std::optional<std::vector<std::uint8_t>> receive(std::chrono::milliseconds timeout);

  private:
    int fd_ = -1;
    int port_ = 0;
};

class TcpDnsClient {
  public:
    explicit TcpDnsClient(int port);  // connects to 127.0.0.1:port; throws on failure
    ~TcpDnsClient();
    TcpDnsClient(const TcpDnsClient&) = delete;
    TcpDnsClient& operator=(const TcpDnsClient&) = delete;

    void send_raw(std::span<const std::uint8_t> bytes);
    void send_framed(std::span<const std::uint8_t> message);  // with the 2-byte length
    // One length-prefixed reply; nullopt on timeout or when the server closed.
    std::optional<std::vector<std::uint8_t>> read_framed(std::chrono::milliseconds timeout);
    // True when the server closed the connection within `timeout`.
    bool closed_by_peer(std::chrono::milliseconds timeout);

  private:
    bool read_exact(std::uint8_t* out, std::size_t size,
                    std::chrono::steady_clock::time_point deadline);
    int fd_ = -1;
};

inline int rcode_of(const std::vector<std::uint8_t>& response) {
    return response.size() >= 4 ? response[3] & 0x0f : -1;
}

}  // namespace shunt::test
