#include "outbound/mux/server/udp_stream_relay.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/buffer.hpp>

#include "outbound/direct/direct_udp_socket.hpp"

namespace shunt::outbound::mux {

namespace {

constexpr std::size_t kMaxWaitingPerName = 16;
constexpr int kReadsPerWakeup = 32;

}  // namespace

void UdpStreamRelay::start(boost::asio::any_io_executor executor, std::unique_ptr<MuxStream> stream,
                           AddressLookup lookup, std::chrono::seconds idle_timeout,
                           std::shared_ptr<const TargetPolicy> policy) {
    std::shared_ptr<UdpStreamRelay> relay(new UdpStreamRelay(std::move(executor), std::move(stream),
                                                             std::move(lookup), idle_timeout,
                                                             std::move(policy)));
    relay->begin();
}

UdpStreamRelay::UdpStreamRelay(boost::asio::any_io_executor executor,
                               std::unique_ptr<MuxStream> stream, AddressLookup lookup,
                               std::chrono::seconds idle_timeout,
                               std::shared_ptr<const TargetPolicy> policy)
    : executor_(executor),
      stream_(std::move(stream)),
      lookup_(std::move(lookup)),
      idle_timeout_(idle_timeout),
      policy_(std::move(policy)),
      socket_(executor),
      idle_(executor),
      last_activity_(std::chrono::steady_clock::now()) {}

void UdpStreamRelay::begin() {
    const auto status = open_direct_udp_socket(socket_, UdpStack::dual_stack, 0);
    if (!status.ok()) {
        spdlog::warn("mux-server: udp stream {}: {}", stream_->id(), status.describe());
        stream_->refuse(ResultCode::failure, "cannot open a UDP socket");
        return;
    }
    boost::system::error_code ignored;
    socket_.non_blocking(true, ignored);
    stream_->accept();
    // The handlers keep the relay alive through the stream and the socket's wait.
    auto self = shared_from_this();
    stream_->on_datagram([self](const DatagramPayload& datagram) { self->on_datagram(datagram); });
    stream_->on_end(
        [self](const boost::system::error_code&, const std::string&) { self->end(true); });
    wait_readable();
    arm_idle();
}

void UdpStreamRelay::on_datagram(const DatagramPayload& datagram) {
    if (ended_) return;
    last_activity_ = std::chrono::steady_clock::now();
    const auto& address = datagram.address;
    if (address.address) {
        send(*address.address, address.port, datagram.data);
        return;
    }
    if (auto it = resolved_.find(address.domain); it != resolved_.end()) {
        send(it->second, address.port, datagram.data);
        return;
    }
    auto& waiting = resolving_[address.domain];
    if (waiting.size() >= kMaxWaitingPerName) return;  // dropped, like a full socket buffer
    const bool first = waiting.empty();
    waiting.push_back({address.port, {datagram.data.begin(), datagram.data.end()}});
    if (!first) return;
    lookup_(address.domain,
            [self = shared_from_this(), name = address.domain](const boost::system::error_code& ec,
                                                               std::vector<IpAddress> addresses) {
                auto waiting = std::move(self->resolving_[name]);
                self->resolving_.erase(name);
                if (self->ended_ || ec || addresses.empty()) return;  // dropped: no address
                // The first address the policy allows (if none, send() drops and says why).
                std::string why;
                const auto allowed = self->policy_->filter(addresses, why);
                const IpAddress chosen = allowed.empty() ? addresses.front() : allowed.front();
                self->resolved_[name] = chosen;
                for (const auto& w : waiting) self->send(chosen, w.port, w.data);
            });
}

void UdpStreamRelay::send(const IpAddress& address, std::uint16_t port,
                          std::span<const std::uint8_t> data) {
    if (auto why = policy_->why_denied(address)) {
        if (!denied_logged_)
            spdlog::info("mux-server: udp stream {}: datagrams to {} dropped: {}", stream_->id(),
                         Endpoint{address, port}.to_string(), *why);
        denied_logged_ = true;
        return;
    }
    boost::system::error_code ignored;  // UDP: a datagram that cannot go is lost
    socket_.send_to(boost::asio::buffer(data.data(), data.size()),
                    udp_destination(socket_, Endpoint{address, port}), 0, ignored);
}

void UdpStreamRelay::wait_readable() {
    socket_.async_wait(boost::asio::ip::udp::socket::wait_read,
                       [self = shared_from_this()](const boost::system::error_code& ec) {
                           if (ec || self->ended_) return;
                           self->drain();
                       });
}

void UdpStreamRelay::drain() {
    if (buffer_.empty()) buffer_.resize(65536);
    for (int i = 0; i < kReadsPerWakeup && !ended_; ++i) {
        boost::asio::ip::udp::endpoint sender;
        boost::system::error_code ec;
        const std::size_t n = socket_.receive_from(boost::asio::buffer(buffer_), sender, 0, ec);
        if (ec == boost::asio::error::would_block) break;
        if (ec) continue;  // ICMP errors queued on the socket: the next datagram may pass
        last_activity_ = std::chrono::steady_clock::now();
        const Endpoint from = udp_source(sender);
        HostPort address;
        address.address = from.address;
        address.port = from.port;
        stream_->send_datagram(address, {buffer_.data(), n});
    }
    if (!ended_) wait_readable();
}

void UdpStreamRelay::arm_idle() {
    idle_.expires_at(last_activity_ + idle_timeout_);
    idle_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (ec || self->ended_) return;
        if (std::chrono::steady_clock::now() - self->last_activity_ >= self->idle_timeout_)
            self->end(true);
        else
            self->arm_idle();
    });
}

void UdpStreamRelay::end(bool graceful) {
    if (ended_) return;
    ended_ = true;
    idle_.cancel();
    boost::system::error_code ignored;
    socket_.close(ignored);
    stream_->close(graceful);
}

}  // namespace shunt::outbound::mux
