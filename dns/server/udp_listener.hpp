// DNS over UDP on one address. Datagrams are drained in batches with recvmmsg and the
// answers known at once go back in one sendmmsg: two syscalls per batch instead of two
// per query, which is what lets one thread outrun a general-purpose resolver.
#pragma once

#include <sys/socket.h>

#include <array>
#include <memory>
#include <vector>

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ip/v6_only.hpp>

#include "dns/server/query_handler.hpp"
#include "net/ip_address.hpp"

namespace shunt::dns {

class UdpListener : public std::enable_shared_from_this<UdpListener> {
  public:
    // Binds at once; throws std::system_error naming the endpoint when it cannot.
    UdpListener(boost::asio::any_io_executor executor, const Endpoint& endpoint,
                QueryHandler& handler);
    ~UdpListener();

    void start();
    void close();  // idempotent
    const Endpoint& endpoint() const { return endpoint_; }

  private:
    static constexpr std::size_t kBatch = 32;
    static constexpr std::size_t kMaxDatagram = 4096;  // larger queries are not DNS we answer

    void wait_readable();
    void drain();
    void send_later(const sockaddr_storage& client, socklen_t client_len,
                    std::vector<std::uint8_t> response);

    Endpoint endpoint_;
    boost::asio::ip::udp::socket socket_;
    QueryHandler& handler_;
    bool closed_ = false;

    // Receive and send batches, allocated once.
    std::array<std::array<std::uint8_t, kMaxDatagram>, kBatch> in_buffers_{};
    std::array<sockaddr_storage, kBatch> peers_{};
    std::array<std::vector<std::uint8_t>, kBatch> out_buffers_;
};

}  // namespace shunt::dns
