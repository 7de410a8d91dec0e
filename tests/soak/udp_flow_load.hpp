// The soak's UDP load: many concurrent flows with a DNS-like request/response pattern (one
// socket per flow, so one source port each, as many resolvers and games produce), and the
// echo server that answers them.
//
// Every request carries its flow and sequence number; the echo must come back unchanged.
// A request unanswered after kLossTimeout counts as lost (UDP may drop under load; the
// soak reports the share), an answer that differs from its request as corrupted.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace shunt::test {

// A UDP echo on ADDRESS:PORT inside a network namespace, on a thread of its own.
class UdpEchoServer {
  public:
    UdpEchoServer(const std::string& netns, const std::string& address, int port);
    ~UdpEchoServer();
    UdpEchoServer(const UdpEchoServer&) = delete;
    UdpEchoServer& operator=(const UdpEchoServer&) = delete;

  private:
    void run();

    int fd_ = -1;
    std::atomic<bool> stop_ = false;
    std::thread thread_;
};

class UdpFlowLoad {
  public:
    struct Options {
        std::string netns;           // where the flows start (the client namespace)
        std::string target_address;  // routed through the TUN
        int target_port = 7;
        int flows = 10000;
        std::chrono::milliseconds interval{5000};  // between two requests of one flow
    };
    struct Counters {
        std::uint64_t sent = 0;
        std::uint64_t answered = 0;
        std::uint64_t lost = 0;       // no answer within kLossTimeout
        std::uint64_t corrupted = 0;  // an answer that is not its request's echo
    };

    // Opens the sockets (raise the fd limit first) and starts sending, the flows' first
    // requests spread over one interval so they do not all start in the same instant.
    explicit UdpFlowLoad(Options options);
    ~UdpFlowLoad();  // stop()
    UdpFlowLoad(const UdpFlowLoad&) = delete;
    UdpFlowLoad& operator=(const UdpFlowLoad&) = delete;

    // Stops sending, waits up to kLossTimeout for the last answers, closes the sockets.
    void stop();
    Counters counters() const;

    static constexpr std::chrono::milliseconds kLossTimeout{3000};

  private:
    struct Flow {
        int fd = -1;
        std::uint32_t sequence = 0;  // of the request in flight, if any
        bool waiting = false;
        std::chrono::steady_clock::time_point sent_at;
        std::chrono::steady_clock::time_point next_send;
    };
    void run();
    void send(std::uint32_t index, std::chrono::steady_clock::time_point now);
    void receive(std::uint32_t index);

    Options options_;
    std::vector<Flow> flows_;
    int epoll_ = -1;
    std::atomic<bool> sending_ = true;
    std::atomic<bool> stop_ = false;
    std::atomic<std::uint64_t> sent_ = 0, answered_ = 0, lost_ = 0, corrupted_ = 0;
    std::thread thread_;
};

}  // namespace shunt::test
