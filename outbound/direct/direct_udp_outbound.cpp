#include "outbound/direct/direct_udp_outbound.hpp"

#include <boost/asio/buffer.hpp>

namespace shunt::outbound {

namespace {

// Datagrams read per readiness wakeup before yielding to the loop: one busy session must
// not starve the TUN and the other sessions.
constexpr int kReadsPerWakeup = 32;
// Largest UDP payload plus one: a datagram that fills it all was not truncated.
constexpr std::size_t kReceiveBufferSize = 65536;

// Errors a later datagram can succeed after (ICMP reports queued on the socket, a route
// that comes back); anything else ends the session.
bool is_transient(const boost::system::error_code& error) {
    namespace e = boost::asio::error;
    return error == e::connection_refused || error == e::host_unreachable ||
           error == e::network_unreachable || error == e::message_size ||
           error == e::connection_reset || error == e::interrupted;
}

}  // namespace

DirectUdpOutbound::DirectUdpOutbound(boost::asio::ip::udp::socket socket,
                                     std::shared_ptr<std::vector<std::uint8_t>> receive_buffer,
                                     const Endpoint& as_seen, const Endpoint& remote)
    : socket_(std::move(socket)),
      receive_buffer_(std::move(receive_buffer)),
      as_seen_(as_seen),
      remote_(remote) {
    boost::system::error_code ignored;
    socket_.non_blocking(true, ignored);
}

DirectUdpOutbound::~DirectUdpOutbound() {
    close();
}

void DirectUdpOutbound::start(ReceiveHandler on_receive, ErrorHandler on_error) {
    on_receive_ = std::move(on_receive);
    on_error_ = std::move(on_error);
    wait_readable();
}

UdpSendResult DirectUdpOutbound::send(std::span<const std::uint8_t> payload,
                                      const Endpoint& destination) {
    if (!socket_.is_open()) return UdpSendResult::failed;
    boost::system::error_code error;
    socket_.send_to(boost::asio::buffer(payload.data(), payload.size()),
                    udp_destination(socket_, destination == as_seen_ ? remote_ : destination), 0,
                    error);
    if (!error) return UdpSendResult::sent;
    if (error == boost::asio::error::would_block || error == boost::asio::error::no_buffer_space) {
        return UdpSendResult::would_block;
    }
    return UdpSendResult::failed;
}

void DirectUdpOutbound::close() {
    if (!*alive_) return;
    *alive_ = false;
    alive_ = std::make_shared<bool>(false);  // expire the weak_ptrs pending handlers hold
    on_receive_ = nullptr;
    on_error_ = nullptr;
    boost::system::error_code ignored;
    socket_.close(ignored);
}

std::uint16_t DirectUdpOutbound::local_port() const {
    boost::system::error_code error;
    const auto local = socket_.local_endpoint(error);
    return error ? 0 : local.port();
}

void DirectUdpOutbound::wait_readable() {
    std::weak_ptr<bool> alive = alive_;
    socket_.async_wait(boost::asio::ip::udp::socket::wait_read,
                       [this, alive](const boost::system::error_code& error) {
                           const auto token = alive.lock();
                           if (!token || !*token) return;
                           if (error) {
                               if (on_error_) on_error_("wait: " + error.message());
                               return;
                           }
                           drain();
                       });
}

void DirectUdpOutbound::drain() {
    const std::weak_ptr<bool> alive = alive_;
    auto& buffer = *receive_buffer_;
    if (buffer.size() < kReceiveBufferSize) buffer.resize(kReceiveBufferSize);
    for (int i = 0; i < kReadsPerWakeup; ++i) {
        boost::asio::ip::udp::endpoint sender;
        boost::system::error_code error;
        const std::size_t length =
            socket_.receive_from(boost::asio::buffer(buffer), sender, 0, error);
        if (error == boost::asio::error::would_block) break;
        if (error && is_transient(error)) continue;
        if (error) {
            if (on_error_) on_error_("receive: " + error.message());
            return;
        }
        const Endpoint from = udp_source(sender);
        on_receive_(std::span<const std::uint8_t>(buffer.data(), length),
                    from == remote_ ? as_seen_ : from);
        // The handler may have closed this outbound (and the table may destroy it later).
        const auto token = alive.lock();
        if (!token || !*token) return;
    }
    wait_readable();
}

}  // namespace shunt::outbound
