#include "dns/server/udp_listener.hpp"

#include <netinet/in.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include <spdlog/spdlog.h>

#include "net/asio_address.hpp"

namespace shunt::dns {

UdpListener::UdpListener(boost::asio::any_io_executor executor, const Endpoint& endpoint,
                         QueryHandler& handler)
    : endpoint_(endpoint), socket_(executor), handler_(handler) {
    boost::asio::ip::udp::endpoint asio_endpoint(to_asio_address(endpoint.address), endpoint.port);
    boost::system::error_code ec;
    socket_.open(asio_endpoint.protocol(), ec);
    if (!ec && endpoint.address.is_v6()) socket_.set_option(boost::asio::ip::v6_only(true), ec);
    if (!ec) socket_.bind(asio_endpoint, ec);
    if (!ec) socket_.non_blocking(true, ec);
    if (ec)
        throw std::system_error(ec.value(), std::generic_category(),
                                "dns: cannot listen on udp " + endpoint.to_string());
    for (auto& b : out_buffers_) b.reserve(512);
}

UdpListener::~UdpListener() {
    close();
}

void UdpListener::start() {
    wait_readable();
}

void UdpListener::close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    socket_.close(ignored);
}

void UdpListener::wait_readable() {
    socket_.async_wait(boost::asio::ip::udp::socket::wait_read,
                       [self = shared_from_this()](const boost::system::error_code& ec) {
                           if (ec || self->closed_) return;
                           self->drain();
                           self->wait_readable();
                       });
}

void UdpListener::drain() {
    int fd = socket_.native_handle();
    mmsghdr in[kBatch];
    iovec in_iov[kBatch];
    mmsghdr out[kBatch];
    iovec out_iov[kBatch];
    // A bounded number of batches per wake-up keeps TCP clients and timers served
    // under a UDP flood.
    for (int round = 0; round < 8; ++round) {
        for (std::size_t i = 0; i < kBatch; ++i) {
            in_iov[i] = {in_buffers_[i].data(), kMaxDatagram};
            std::memset(&in[i].msg_hdr, 0, sizeof in[i].msg_hdr);
            in[i].msg_hdr.msg_name = &peers_[i];
            in[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
            in[i].msg_hdr.msg_iov = &in_iov[i];
            in[i].msg_hdr.msg_iovlen = 1;
        }
        int received = ::recvmmsg(fd, in, kBatch, MSG_DONTWAIT, nullptr);
        if (received <= 0) {
            if (received < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                spdlog::warn("dns: udp {}: recvmmsg: {}", endpoint_.to_string(),
                             std::strerror(errno));
            return;
        }
        unsigned to_send = 0;
        for (int i = 0; i < received; ++i) {
            const auto& peer = peers_[i];
            socklen_t peer_len = in[i].msg_hdr.msg_namelen;
            auto& response = out_buffers_[to_send];
            std::span<const std::uint8_t> packet(in_buffers_[i].data(), in[i].msg_len);
            // One pointer of capture keeps the std::function in its small buffer: no
            // allocation unless the query is really forwarded.
            struct Context {
                UdpListener* self;
                const sockaddr_storage* peer;
                socklen_t peer_len;
            } context{this, &peer, peer_len};
            // Weak: the reply travels through the resolver's loop, which must never be
            // the one to destroy this listener.
            auto outcome = handler_.handle(packet, Transport::udp, response, [&context] {
                return QueryHandler::AsyncReply(
                    [weak = context.self->weak_from_this(), peer = *context.peer,
                     peer_len = context.peer_len](std::vector<std::uint8_t> r) {
                        auto self = weak.lock();
                        if (self && !r.empty()) self->send_later(peer, peer_len, std::move(r));
                    });
            });
            if (outcome != QueryHandler::Outcome::answered) continue;
            out_iov[to_send] = {response.data(), response.size()};
            std::memset(&out[to_send].msg_hdr, 0, sizeof out[to_send].msg_hdr);
            out[to_send].msg_hdr.msg_name = const_cast<sockaddr_storage*>(&peer);
            out[to_send].msg_hdr.msg_namelen = peer_len;
            out[to_send].msg_hdr.msg_iov = &out_iov[to_send];
            out[to_send].msg_hdr.msg_iovlen = 1;
            ++to_send;
        }
        // A full send buffer drops answers (UDP semantics: the client retries) rather
        // than blocking the loop.
        for (unsigned sent = 0; sent < to_send;) {
            int n = ::sendmmsg(fd, out + sent, to_send - sent, MSG_DONTWAIT);
            if (n <= 0) break;
            sent += static_cast<unsigned>(n);
        }
        // Keep draining until the socket is empty: queries that arrived while this
        // batch was answered are picked up without another trip through epoll.
    }
}

void UdpListener::send_later(const sockaddr_storage& client, socklen_t client_len,
                             std::vector<std::uint8_t> response) {
    if (closed_) return;
    ::sendto(socket_.native_handle(), response.data(), response.size(), MSG_DONTWAIT,
             reinterpret_cast<const sockaddr*>(&client), client_len);
}

}  // namespace shunt::dns
