// libFuzzer target for what a SOCKS5 server sends to shunt's SOCKS5 client: the method
// reply, the username/password reply and the CONNECT or UDP ASSOCIATE reply.
//
// Input: one byte choosing the request, then the server's bytes.
//   bits 0-1: CONNECT to a domain, to an IPv4 address, to an IPv6 address, or UDP ASSOCIATE
//   bit 2:    offer username/password
//   bit 3:    a name too long to send (the domain target, and the username when offered)
// The server's bytes are written into one end of a socketpair whose other end is the
// handshake's socket, and that end is then shut down for writing: the handshake reads the
// bytes, then end of stream, so each input ends in microseconds and no deadline fires.
//
// An independent model of RFC 1928/1929 says what must happen: the outcome (success, or
// which error), what the client sent, the bound address, and that not one byte past the
// reply was consumed (the rest must still be readable from the socket handed back). The
// same bytes also go through the UDP datagram header decoder. Violations are
// __builtin_trap, a crash the fuzzer records.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "outbound/socks5/socks5_address.hpp"
#include "outbound/socks5/socks5_error.hpp"
#include "outbound/socks5/socks5_handshake.hpp"
#include "outbound/socks5/socks5_udp_header.hpp"

namespace {

using namespace shunt;
using namespace shunt::outbound;
using Bytes = std::vector<std::uint8_t>;

void check(bool condition) {
    if (!condition) __builtin_trap();
}

// More than any reply takes (2 + 2 + 4 + 1 + 255 + 2), and far less than a socketpair's
// buffer, so writing the server's bytes never blocks.
constexpr std::size_t kMaxServerBytes = 4096;

Socks5Request make_request(std::uint8_t choice) {
    Socks5Request request;
    const bool too_long = choice & 8;
    switch (choice & 3) {
        case 0:
            request.target = {too_long ? std::string(256, 'a') : "example.com", {}, 443};
            break;
        case 1:
            request.target = {{}, IpAddress::from_v4(0xC0000201), 80};  // 192.0.2.1
            break;
        case 2:
            request.target = {{}, *IpAddress::parse("2001:db8::1"), 8443};
            break;
        case 3:
            request.command = Socks5Command::udp_associate;
            request.target = {{}, IpAddress{}, 0};  // from anywhere
            break;
    }
    if (choice & 4) {
        request.username = too_long ? std::string(256, 'u') : "user";
        request.password = "secret";
    }
    return request;
}

// What RFC 1928/1929 make of the server's bytes, written out by hand.
struct Expected {
    bool ok = false;
    boost::system::error_code error;
    Bytes sent;                // what the client must have written, in order
    std::size_t consumed = 0;  // server bytes read (on success: exactly the replies)
    HostPort bound;
};

class Model {
  public:
    Model(const Socks5Request& request, std::span<const std::uint8_t> server)
        : request_(request), server_(server) {}

    Expected run() {
        const bool offer = !request_.username.empty();
        send(offer ? Bytes{5, 2, 0, 2} : Bytes{5, 1, 0});
        if (!take(2)) return result_;
        const std::uint8_t version = server_[0], method = server_[1];
        if (version != 5) return fail(Socks5Errc::malformed_reply);
        if (method == 0xFF) return fail(Socks5Errc::no_acceptable_method);
        if (method == 2 && offer) {
            if (request_.username.size() > 255 || request_.password.size() > 255)
                return fail(Socks5Errc::invalid_request);
            Bytes auth{1, static_cast<std::uint8_t>(request_.username.size())};
            auth.insert(auth.end(), request_.username.begin(), request_.username.end());
            auth.push_back(static_cast<std::uint8_t>(request_.password.size()));
            auth.insert(auth.end(), request_.password.begin(), request_.password.end());
            send(auth);
            if (!take(2)) return result_;
            if (server_[3] != 0) return fail(Socks5Errc::authentication_failed);
        } else if (method != 0) {
            return fail(Socks5Errc::malformed_reply);  // a method the client did not offer
        }
        return connect_reply();
    }

  private:
    Expected connect_reply() {
        const HostPort& target = request_.target;
        if (target.domain.size() > 255) return fail(Socks5Errc::invalid_request);
        Bytes message{5, static_cast<std::uint8_t>(request_.command), 0};
        if (target.is_domain()) {
            message.push_back(3);
            message.push_back(static_cast<std::uint8_t>(target.domain.size()));
            message.insert(message.end(), target.domain.begin(), target.domain.end());
        } else {
            message.push_back(target.address->is_v4() ? 1 : 4);
            const auto& bytes = target.address->bytes();
            message.insert(message.end(), bytes.begin(),
                           bytes.begin() + (target.address->is_v4() ? 4 : 16));
        }
        message.push_back(static_cast<std::uint8_t>(target.port >> 8));
        message.push_back(static_cast<std::uint8_t>(target.port));
        send(message);

        const std::size_t head = result_.consumed;
        if (!take(4)) return result_;
        if (server_[head] != 5) return fail(Socks5Errc::malformed_reply);
        if (const std::uint8_t reply = server_[head + 1]; reply != 0)
            return fail(socks5_reply_error(reply));
        const std::uint8_t atyp = server_[head + 3];
        HostPort bound;
        if (atyp == 1) {
            if (!take(6)) return result_;
            const auto* at = &server_[head + 4];
            bound.address =
                IpAddress::from_v4(std::uint32_t{at[0]} << 24 | at[1] << 16 | at[2] << 8 | at[3]);
            bound.port = static_cast<std::uint16_t>(at[4] << 8 | at[5]);
        } else if (atyp == 4) {
            if (!take(18)) return result_;
            std::array<std::uint8_t, 16> v6;
            std::copy_n(&server_[head + 4], 16, v6.begin());
            bound.address = IpAddress::from_v6(v6);
            bound.port = static_cast<std::uint16_t>(server_[head + 20] << 8 | server_[head + 21]);
        } else if (atyp == 3) {
            if (!take(1)) return result_;
            const std::size_t length = server_[head + 4];
            if (!take(length + 2)) return result_;
            if (length == 0) return fail(Socks5Errc::malformed_reply);  // no name
            bound.domain.assign(reinterpret_cast<const char*>(&server_[head + 5]), length);
            bound.port = static_cast<std::uint16_t>(server_[head + 5 + length] << 8 |
                                                    server_[head + 6 + length]);
        } else {
            return fail(Socks5Errc::malformed_reply);
        }
        result_.ok = true;
        result_.bound = bound;
        return result_;
    }

    void send(const Bytes& message) {
        result_.sent.insert(result_.sent.end(), message.begin(), message.end());
        reply_started_ = false;  // every message the client sends asks for a new reply
    }

    // Reads `n` more bytes of the current reply; false (the outcome set) at end of stream:
    // before the reply's first byte the proxy closed, after it the reply is truncated.
    bool take(std::size_t n) {
        if (server_.size() - result_.consumed >= n) {
            result_.consumed += n;
            reply_started_ = reply_started_ || n > 0;
            return true;
        }
        const bool any = reply_started_ || server_.size() > result_.consumed;
        fail(any ? Socks5Errc::malformed_reply : Socks5Errc::proxy_closed);
        return false;
    }

    Expected fail(boost::system::error_code error) {
        result_.error = error;
        return result_;
    }

    const Socks5Request& request_;
    std::span<const std::uint8_t> server_;
    Expected result_;
    bool reply_started_ = false;
};

struct Outcome {
    int calls = 0;
    boost::system::error_code error;
    std::optional<boost::asio::ip::tcp::socket> socket;
    HostPort bound;
    std::string reason;
};

// Everything readable from `fd` now, up to the end of the stream.
Bytes drain(int fd) {
    Bytes out;
    std::array<std::uint8_t, 4096> buffer;
    for (;;) {
        const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (n <= 0) break;
        out.insert(out.end(), buffer.begin(), buffer.begin() + n);
    }
    return out;
}

boost::asio::io_context& io() {
    static boost::asio::io_context context;
    return context;
}

void check_handshake(std::uint8_t choice, std::span<const std::uint8_t> server) {
    server = server.first(std::min(server.size(), kMaxServerBytes));
    const Socks5Request request = make_request(choice);
    const Expected expected = Model(request, server).run();

    int fds[2];
    check(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    const int proxy = fds[1];
    check(::send(proxy, server.data(), server.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(server.size()));
    ::shutdown(proxy, SHUT_WR);

    // The handshake takes a TCP socket; Asio's stream operations work on any stream fd.
    boost::asio::ip::tcp::socket socket(io());
    socket.assign(boost::asio::ip::tcp::v4(), fds[0]);
    Outcome outcome;
    auto handshake = Socks5Handshake::create(std::move(socket), request, std::chrono::seconds(30));
    handshake->start([&outcome](boost::system::error_code error, boost::asio::ip::tcp::socket s,
                                HostPort bound, std::string reason) {
        ++outcome.calls;
        outcome.error = error;
        outcome.socket.emplace(std::move(s));
        outcome.bound = std::move(bound);
        outcome.reason = std::move(reason);
    });
    check(outcome.calls == 0);  // never inline
    io().restart();
    io().run();  // ends with the handshake: its deadline timer is cancelled on finish
    handshake.reset();

    check(outcome.calls == 1);
    check(drain(proxy) == expected.sent);
    if (expected.ok) {
        check(!outcome.error);
        check(outcome.reason.empty());
        check(outcome.bound == expected.bound);
        check(outcome.socket && outcome.socket->is_open());
        // The socket is handed over with every byte after the reply still unread.
        const Bytes relayed = drain(outcome.socket->native_handle());
        check(std::equal(relayed.begin(), relayed.end(), server.begin() + expected.consumed,
                         server.end()) &&
              relayed.size() == server.size() - expected.consumed);
    } else {
        check(outcome.error == expected.error);
        check(!outcome.reason.empty());
        check(outcome.socket && !outcome.socket->is_open());
    }
    ::close(proxy);
}

// RFC 1928 section 7: RSV, FRAG, address, payload. A decoded payload is the tail of the
// datagram right after the address, and the header re-encodes to the bytes it came from.
void check_udp_datagram(std::span<const std::uint8_t> datagram) {
    const auto decoded = decode_socks5_udp_datagram(datagram);
    const bool header = datagram.size() >= 3 && datagram[0] == 0 && datagram[1] == 0;
    switch (decoded.status) {
        case Socks5UdpDecodeStatus::fragment:
            check(header && datagram[2] != 0);
            return;
        case Socks5UdpDecodeStatus::malformed:
            check(!header || datagram[2] == 0);
            check(decoded.payload.empty());
            return;
        case Socks5UdpDecodeStatus::ok:
            break;
    }
    check(header && datagram[2] == 0);
    check(decoded.payload.data() >= datagram.data() + 3 + kMinWireAddressSize);
    check(decoded.payload.data() + decoded.payload.size() == datagram.data() + datagram.size());
    Bytes encoded;
    check(append_socks5_udp_header(decoded.address, encoded));
    check(encoded.size() == static_cast<std::size_t>(decoded.payload.data() - datagram.data()));
    check(std::equal(encoded.begin(), encoded.end(), datagram.begin()));

    // The address alone, as the handshake's reply reading sizes it.
    const auto address = decode_socks5_address(datagram.subspan(3));
    check(address && address->address == decoded.address);
    const auto body = socks5_address_body_size(datagram[3], datagram[4]);
    check(body && 1 + *body == address->consumed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::span<const std::uint8_t> server(data + 1, size - 1);
    check_handshake(data[0], server);
    check_udp_datagram(server);
    return 0;
}
