// Shared by the dialer's unit and namespace tests: run one dial to completion on a private
// io_context and record what the handler saw, how often, and how long it took.
#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "net/happy_eyeballs_dialer.hpp"
#include "net/ip_address.hpp"

namespace shunt::test {

struct DialRecord {
    int calls = 0;
    boost::system::error_code error;
    std::optional<boost::asio::ip::tcp::socket> socket;
    IpAddress address;
    std::string reason;
    std::chrono::steady_clock::duration elapsed{};
};

inline HappyEyeballsDialer::Handler recording_handler(
    DialRecord& record, std::chrono::steady_clock::time_point started) {
    return [&record, started](boost::system::error_code error, boost::asio::ip::tcp::socket socket,
                              IpAddress address, std::string reason) {
        ++record.calls;
        record.elapsed = std::chrono::steady_clock::now() - started;
        record.error = error;
        record.socket.emplace(std::move(socket));
        record.address = address;
        record.reason = std::move(reason);
    };
}

// Dials and runs `io` until nothing is left (every loser reaped, every timer gone), bounded
// by `limit` so a hung dial fails the test instead of hanging it.
inline DialRecord dial_and_wait(boost::asio::io_context& io, std::vector<IpAddress> candidates,
                                std::uint16_t port, HappyEyeballsOptions options,
                                std::chrono::milliseconds limit = std::chrono::seconds(3)) {
    DialRecord record;
    const auto started = std::chrono::steady_clock::now();
    HappyEyeballsDialer::create(io.get_executor(), options)
        ->start(std::move(candidates), port, recording_handler(record, started));
    io.run_for(limit);
    return record;
}

inline IpAddress address_of(const char* text) {
    return *IpAddress::parse(text);
}

inline std::chrono::milliseconds as_ms(std::chrono::steady_clock::duration duration) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(duration);
}

inline int tcp_nodelay_of(int fd) {
    int value = 0;
    socklen_t length = sizeof value;
    if (::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &value, &length) != 0) return -1;
    return value;
}

}  // namespace shunt::test
