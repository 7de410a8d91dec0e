// Many idle, established TCP connections between the E2eTopology's two namespaces. The
// client sides are sockets of this process, created by a thread that joined the client
// namespace with setns(2) (a socket stays in the namespace it was made in). The server
// sides belong to a child process, this same executable in acceptor mode started inside
// the server namespace: one process cannot hold both ends of 10,000 connections under
// a 20,000-fd limit it may not raise. Everything is closed by the destructor.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"

namespace shunt::bench {

// Runs `work` on a fresh thread that has joined the network namespace `netns`
// (/run/netns/NAME); the calling thread's namespace is untouched. Rethrows its exception.
void run_in_netns(const std::string& netns, const std::function<void()>& work);

// Acceptor mode, for main(): listens on 0.0.0.0:port, accepts and holds every connection,
// and keeps `count_file` holding the number accepted. Runs until killed.
constexpr const char* kAcceptorFlag = "--hold-connections";
int run_acceptor(int port, const std::string& count_file);

class IdleConnections {
  public:
    struct Options {
        std::string server_ns;
        std::string client_ns;
        int listen_port = 0;    // the acceptor listens on 0.0.0.0:listen_port
        std::string target_v4;  // the client connects to target_v4:listen_port
        int count = 10000;
    };

    // Starts the acceptor and waits until it listens; throws if it does not.
    explicit IdleConnections(Options options);
    ~IdleConnections();
    IdleConnections(const IdleConnections&) = delete;
    IdleConnections& operator=(const IdleConnections&) = delete;

    // Opens `count` connections one after another (each waits for its handshake, up to
    // 5 s); returns how many the client saw established.
    int open();
    // Waits until the server side accepted `count`; returns the number accepted.
    int wait_accepted(int count, std::chrono::milliseconds timeout);
    int accepted() const;
    // Closes the client sides (FIN), then ends the acceptor (its sides close with it).
    void close_all();

  private:
    Options options_;
    test::TempDir dir_;
    std::unique_ptr<test::ChildProcess> acceptor_;
    std::vector<int> client_fds_;
};

}  // namespace shunt::bench
