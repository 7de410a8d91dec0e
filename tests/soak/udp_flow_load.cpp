#include "tests/soak/udp_flow_load.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "tests/support/netns_thread.hpp"

namespace shunt::test {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kRequestSize = 48;

sockaddr_in ipv4_endpoint(const std::string& address, int port) {
    sockaddr_in endpoint{};
    endpoint.sin_family = AF_INET;
    endpoint.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::inet_pton(AF_INET, address.c_str(), &endpoint.sin_addr) != 1)
        throw std::invalid_argument("not an IPv4 address: " + address);
    return endpoint;
}

// "SOAK", the flow, the sequence, then bytes derived from both: an echo that is not the
// request's (another flow's, a stale one, damaged) does not match.
void make_request(std::uint32_t flow, std::uint32_t sequence, std::uint8_t* out) {
    std::memcpy(out, "SOAK", 4);
    std::memcpy(out + 4, &flow, 4);
    std::memcpy(out + 8, &sequence, 4);
    for (std::size_t i = 12; i < kRequestSize; ++i)
        out[i] = static_cast<std::uint8_t>((flow * 31 + sequence * 17 + i) & 0xff);
}

}  // namespace

UdpEchoServer::UdpEchoServer(const std::string& netns, const std::string& address, int port) {
    run_in_netns(netns, [&] {
        fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        const sockaddr_in endpoint = ipv4_endpoint(address, port);
        if (fd_ >= 0 &&
            ::bind(fd_, reinterpret_cast<const sockaddr*>(&endpoint), sizeof endpoint) != 0) {
            ::close(fd_);
            fd_ = -1;
        }
    });
    if (fd_ < 0)
        throw std::runtime_error("udp echo: cannot bind " + address + ":" + std::to_string(port));
    const int buffer = 4 << 20;  // bursts of thousands of flows' requests
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    thread_ = std::thread([this] { run(); });
}

UdpEchoServer::~UdpEchoServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
}

void UdpEchoServer::run() {
    std::uint8_t datagram[2048];
    while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        for (;;) {
            sockaddr_in from{};
            socklen_t length = sizeof from;
            const ssize_t n = ::recvfrom(fd_, datagram, sizeof datagram, MSG_DONTWAIT,
                                         reinterpret_cast<sockaddr*>(&from), &length);
            if (n < 0) break;
            ::sendto(fd_, datagram, static_cast<std::size_t>(n), 0,
                     reinterpret_cast<const sockaddr*>(&from), length);
        }
    }
}

UdpFlowLoad::UdpFlowLoad(Options options)
    : options_(std::move(options)), flows_(static_cast<std::size_t>(options_.flows)) {
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    const sockaddr_in target = ipv4_endpoint(options_.target_address, options_.target_port);
    std::string error;
    // The sockets are made inside the namespace (their routes are its routes) and then
    // used from any thread.
    run_in_netns(options_.netns, [&] {
        for (auto& flow : flows_) {
            flow.fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (flow.fd < 0 || ::connect(flow.fd, reinterpret_cast<const sockaddr*>(&target),
                                         sizeof target) != 0) {
                error = std::strerror(errno);
                return;
            }
        }
    });
    if (!error.empty() || epoll_ < 0) {
        for (auto& flow : flows_)
            if (flow.fd >= 0) ::close(flow.fd);
        if (epoll_ >= 0) ::close(epoll_);
        throw std::runtime_error("udp flows: " + (error.empty() ? "epoll" : error));
    }
    const auto start = Clock::now();
    for (std::uint32_t i = 0; i < flows_.size(); ++i) {
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.u32 = i;
        ::epoll_ctl(epoll_, EPOLL_CTL_ADD, flows_[i].fd, &event);
        flows_[i].next_send = start + options_.interval * i / flows_.size();
    }
    thread_ = std::thread([this] { run(); });
}

UdpFlowLoad::~UdpFlowLoad() {
    stop();
}

void UdpFlowLoad::stop() {
    if (!thread_.joinable()) return;
    sending_ = false;
    std::this_thread::sleep_for(kLossTimeout + std::chrono::milliseconds(200));
    stop_ = true;
    thread_.join();
    for (auto& flow : flows_) ::close(flow.fd);
    ::close(epoll_);
}

UdpFlowLoad::Counters UdpFlowLoad::counters() const {
    return {sent_.load(), answered_.load(), lost_.load(), corrupted_.load()};
}

void UdpFlowLoad::run() {
    std::vector<epoll_event> events(256);
    auto next_scan = Clock::now();
    while (!stop_) {
        const int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 10);
        for (int i = 0; i < n; ++i) receive(events[static_cast<std::size_t>(i)].data.u32);
        const auto now = Clock::now();
        if (now < next_scan) continue;
        next_scan = now + std::chrono::milliseconds(10);
        for (std::uint32_t index = 0; index < flows_.size(); ++index) {
            Flow& flow = flows_[index];
            if (flow.waiting && now - flow.sent_at > kLossTimeout) {
                flow.waiting = false;
                ++lost_;
            }
            if (sending_ && !flow.waiting && now >= flow.next_send) send(index, now);
        }
    }
}

void UdpFlowLoad::send(std::uint32_t index, Clock::time_point now) {
    Flow& flow = flows_[index];
    std::uint8_t request[kRequestSize];
    make_request(index, ++flow.sequence, request);
    flow.next_send = now + options_.interval;
    if (::send(flow.fd, request, sizeof request, 0) != static_cast<ssize_t>(sizeof request)) {
        ++lost_;  // refused at once (ECONNREFUSED from an earlier ICMP error, ENOBUFS)
        ++sent_;
        return;
    }
    flow.waiting = true;
    flow.sent_at = now;
    ++sent_;
}

void UdpFlowLoad::receive(std::uint32_t index) {
    Flow& flow = flows_[index];
    std::uint8_t answer[2048];
    std::uint8_t expected[kRequestSize];
    for (;;) {
        const ssize_t n = ::recv(flow.fd, answer, sizeof answer, MSG_DONTWAIT);
        if (n < 0) return;
        std::uint32_t sequence = 0;
        if (n == static_cast<ssize_t>(kRequestSize)) std::memcpy(&sequence, answer + 8, 4);
        make_request(index, sequence, expected);
        const bool intact =
            n == static_cast<ssize_t>(kRequestSize) && std::memcmp(answer, expected, n) == 0;
        if (!intact) {
            ++corrupted_;
        } else if (flow.waiting && sequence == flow.sequence) {
            flow.waiting = false;
            ++answered_;
        }
        // else: the intact echo of an earlier request, already counted as lost.
    }
}

}  // namespace shunt::test
