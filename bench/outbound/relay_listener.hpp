// RelayListener: a local TCP listener whose every accepted connection is relayed
// (StreamRelay, the accepted socket as a TcpSocketStream on one side) to a Stream that a
// connector makes: a plain TCP connection to the target, or a stream of an Outbound. An
// unmodified TCP client (iperf3 -c) thus measures the relay path it is pointed at.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "outbound/outbound.hpp"

namespace shunt::bench {

class RelayListener {
  public:
    // Makes the far side of one relayed connection; calls back once with it (or ec).
    using Connector = std::function<void(outbound::Outbound::ConnectHandler)>;

    // Listens on 127.0.0.1, a port the kernel picks. Everything runs on `io`'s thread.
    RelayListener(boost::asio::io_context& io, Connector connector);
    ~RelayListener();
    RelayListener(const RelayListener&) = delete;
    RelayListener& operator=(const RelayListener&) = delete;

    std::uint16_t port() const { return port_; }
    int relayed() const { return state_->relayed; }
    int failed() const { return state_->failed; }
    const std::string& first_error() const { return state_->first_error; }

  private:
    // Shared with handlers still in flight when the listener goes.
    struct State {
        int relayed = 0;
        int failed = 0;
        std::string first_error;
        bool closed = false;
    };
    void accept();

    boost::asio::ip::tcp::acceptor acceptor_;
    Connector connector_;
    std::uint16_t port_ = 0;
    std::shared_ptr<State> state_ = std::make_shared<State>();
};

// A Connector that dials `target` directly over TCP (the plain relay).
RelayListener::Connector plain_tcp_connector(boost::asio::io_context& io,
                                             boost::asio::ip::tcp::endpoint target);
// A Connector that asks `outbound` (kept alive by the caller) for a stream to `target`.
RelayListener::Connector outbound_connector(outbound::Outbound& outbound, outbound::Target target);

}  // namespace shunt::bench
