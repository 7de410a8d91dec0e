#include "outbound/socks5/socks5_udp_outbound.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <deque>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "net/asio_address.hpp"
#include "outbound/direct/direct_udp_socket.hpp"
#include "outbound/socks5/socks5_outbound.hpp"
#include "outbound/socks5/socks5_proxy_dial.hpp"
#include "outbound/socks5/socks5_udp_header.hpp"

namespace shunt::outbound {

namespace {

bool same_domain(const std::string& a, const std::string& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

bool is_unspecified(const IpAddress& address) {
    const auto& bytes = address.bytes();
    const std::size_t size = address.is_v4() ? 4 : 16;
    return std::all_of(bytes.begin(), bytes.begin() + size, [](std::uint8_t b) { return b == 0; });
}

}  // namespace

class Socks5UdpOutbound::Association : public std::enable_shared_from_this<Association> {
    enum class State { idle, associating, ready, closed };

  public:
    Association(boost::asio::any_io_executor executor, std::shared_ptr<const Socks5Options> options,
                AddressLookup lookup, Target target, Endpoint as_seen)
        : executor_(executor),
          options_(std::move(options)),
          lookup_(std::move(lookup)),
          target_(std::move(target)),
          target_address_(socks5_target_address(target_).value_or(HostPort{})),
          as_seen_(as_seen),
          control_(executor),
          udp_(executor) {}

    void start(ReceiveHandler on_receive, ErrorHandler on_error) {
        if (state_ != State::idle) return;
        on_receive_ = std::move(on_receive);
        on_error_ = std::move(on_error);
        state_ = State::associating;
        dial_ = Socks5ProxyDial::create(executor_, options_, lookup_);
        // We do not know the address the proxy will see our datagrams from (there may be a
        // NAT in between), so we send 0.0.0.0:0 as RFC 1928 allows; the proxy then takes the
        // first datagram's source from the control connection's peer address.
        Socks5Request request;
        request.command = Socks5Command::udp_associate;
        request.target = HostPort{{}, IpAddress{}, 0};
        dial_->start(std::move(request), [self = shared_from_this()](
                                             boost::system::error_code error,
                                             boost::asio::ip::tcp::socket socket, HostPort bound,
                                             IpAddress proxy, std::string reason) {
            self->on_associated(error, std::move(socket), bound, proxy, std::move(reason));
        });
    }

    UdpSendResult send(std::span<const std::uint8_t> payload, const Endpoint& destination) {
        if (state_ == State::closed) return UdpSendResult::failed;
        std::vector<std::uint8_t> datagram;
        datagram.reserve(3 + 1 + 256 + 2 + payload.size());
        const HostPort to =
            destination == as_seen_ ? target_address_ : HostPort::from_endpoint(destination);
        if (!append_socks5_udp_header(to, datagram)) return UdpSendResult::failed;
        datagram.insert(datagram.end(), payload.begin(), payload.end());
        if (state_ != State::ready) {
            if (pending_.size() >= kPendingLimit) return UdpSendResult::would_block;
            pending_.push_back(std::move(datagram));
            return UdpSendResult::sent;
        }
        return transmit(datagram);
    }

    void close() {
        if (state_ == State::closed) return;
        state_ = State::closed;
        if (dial_) dial_->cancel();
        dial_.reset();
        pending_.clear();
        boost::system::error_code ignored;
        control_.close(ignored);
        udp_.close(ignored);
    }

    bool associated() const { return state_ == State::ready; }
    std::optional<Endpoint> relay() const {
        if (state_ != State::ready) return std::nullopt;
        return relay_;
    }
    std::optional<Endpoint> control_local_endpoint() const {
        boost::system::error_code error;
        const auto local = control_.local_endpoint(error);
        if (error) return std::nullopt;
        return Endpoint{IpAddress::parse(local.address().to_string()).value_or(IpAddress{}),
                        local.port()};
    }
    const Socks5UdpCounters& counters() const { return counters_; }

  private:
    void on_associated(boost::system::error_code error, boost::asio::ip::tcp::socket socket,
                       const HostPort& bound, IpAddress proxy, std::string reason) {
        dial_.reset();
        if (state_ != State::associating) return;
        if (error) {
            fail(std::move(reason));
            return;
        }
        control_ = std::move(socket);
        // "0.0.0.0" in the reply (or a name we would have to resolve) means "the address you
        // reached me at".
        const IpAddress relay_address =
            bound.is_domain() || !bound.address || is_unspecified(*bound.address) ? proxy
                                                                                  : *bound.address;
        relay_ = Endpoint{relay_address, bound.port};
        const auto opened = open_direct_udp_socket(
            udp_, relay_address.is_v4() ? UdpStack::v4_only : UdpStack::dual_stack,
            options_->routing_mark);
        if (!opened.ok()) {
            fail("udp socket: " + opened.describe());
            return;
        }
        boost::system::error_code ignored;
        udp_.non_blocking(true, ignored);
        relay_destination_ = udp_destination(udp_, relay_);
        state_ = State::ready;
        for (const auto& datagram : pending_) transmit(datagram);
        pending_.clear();
        do_receive();
        do_watch_control();
    }

    UdpSendResult transmit(const std::vector<std::uint8_t>& datagram) {
        boost::system::error_code error;
        udp_.send_to(boost::asio::buffer(datagram), relay_destination_, 0, error);
        if (error == boost::asio::error::would_block || error == boost::asio::error::try_again) {
            return UdpSendResult::would_block;
        }
        if (error) return UdpSendResult::failed;
        ++counters_.sent;
        return UdpSendResult::sent;
    }

    void do_receive() {
        udp_.async_receive_from(
            boost::asio::buffer(receive_buffer_), sender_,
            [self = shared_from_this()](boost::system::error_code error, std::size_t size) {
                self->on_receive(error, size);
            });
    }

    void on_receive(boost::system::error_code error, std::size_t size) {
        if (state_ != State::ready) return;
        if (error) {
            fail("udp socket: " + error.message());
            return;
        }
        deliver(std::span<const std::uint8_t>(receive_buffer_.data(), size));
        if (state_ == State::ready) do_receive();
    }

    void deliver(std::span<const std::uint8_t> datagram) {
        if (udp_source(sender_) != relay_) {
            ++counters_.dropped_foreign_source;
            return;
        }
        const auto decoded = decode_socks5_udp_datagram(datagram);
        if (decoded.status == Socks5UdpDecodeStatus::fragment) {
            ++counters_.dropped_fragments;
            return;
        }
        if (decoded.status != Socks5UdpDecodeStatus::ok) {
            ++counters_.dropped_malformed;
            return;
        }
        const auto from = reply_source(decoded.address);
        if (!from) {
            ++counters_.dropped_foreign_source;
            return;
        }
        ++counters_.received;
        on_receive_(decoded.payload, *from);
    }

    // Where the application must see a reply come from (see the header).
    std::optional<Endpoint> reply_source(const HostPort& source) const {
        const bool port_matches = source.port == target_.port;
        if (!target_.domain.empty()) {
            if (port_matches && (!source.is_domain() || same_domain(source.domain, target_.domain)))
                return as_seen_;
        } else if (target_.address && !source.is_domain() && port_matches &&
                   source.address == *target_.address) {
            return as_seen_;
        }
        if (source.is_domain() || !source.address) return std::nullopt;  // a name we never sent to
        return Endpoint{*source.address, source.port};
    }

    void do_watch_control() {
        // The proxy sends nothing on the control connection after the reply; reading only
        // tells us when it closes, which ends the association.
        control_.async_read_some(
            boost::asio::buffer(control_byte_),
            [self = shared_from_this()](boost::system::error_code error, std::size_t) {
                if (self->state_ != State::ready) return;
                if (!error) {
                    self->do_watch_control();
                    return;
                }
                self->fail(error == boost::asio::error::eof
                               ? std::string("control connection closed by the proxy")
                               : "control connection: " + error.message());
            });
    }

    void fail(std::string reason) {
        if (state_ == State::closed) return;
        close();
        on_error_("socks5 " + options_->name + ": udp associate " + target_.to_string() + ": " +
                  reason);
    }

    boost::asio::any_io_executor executor_;
    std::shared_ptr<const Socks5Options> options_;
    AddressLookup lookup_;
    Target target_;
    HostPort target_address_;
    Endpoint as_seen_;
    State state_ = State::idle;
    std::shared_ptr<Socks5ProxyDial> dial_;
    boost::asio::ip::tcp::socket control_;
    boost::asio::ip::udp::socket udp_;
    Endpoint relay_;
    boost::asio::ip::udp::endpoint relay_destination_;
    boost::asio::ip::udp::endpoint sender_;
    std::deque<std::vector<std::uint8_t>> pending_;
    std::array<std::uint8_t, 65536> receive_buffer_{};
    std::array<std::uint8_t, 1> control_byte_{};
    ReceiveHandler on_receive_;
    ErrorHandler on_error_;
    Socks5UdpCounters counters_;
};

Socks5UdpOutbound::Socks5UdpOutbound(boost::asio::any_io_executor executor,
                                     std::shared_ptr<const Socks5Options> options,
                                     AddressLookup lookup, Target target, Endpoint as_seen)
    : association_(std::make_shared<Association>(std::move(executor), std::move(options),
                                                 std::move(lookup), std::move(target), as_seen)) {}

Socks5UdpOutbound::~Socks5UdpOutbound() {
    association_->close();
}

void Socks5UdpOutbound::start(ReceiveHandler on_receive, ErrorHandler on_error) {
    association_->start(std::move(on_receive), std::move(on_error));
}

UdpSendResult Socks5UdpOutbound::send(std::span<const std::uint8_t> payload,
                                      const Endpoint& destination) {
    return association_->send(payload, destination);
}

void Socks5UdpOutbound::close() {
    association_->close();
}

bool Socks5UdpOutbound::associated() const {
    return association_->associated();
}

std::optional<Endpoint> Socks5UdpOutbound::relay() const {
    return association_->relay();
}

std::optional<Endpoint> Socks5UdpOutbound::control_local_endpoint() const {
    return association_->control_local_endpoint();
}

const Socks5UdpCounters& Socks5UdpOutbound::counters() const {
    return association_->counters();
}

}  // namespace shunt::outbound
