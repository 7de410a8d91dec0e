// MuxServer: `shunt mux-server` — accepts TLS 1.3 connections on every `listen` endpoint,
// authenticates each (docs/mux.md, "Authentication"; one proof per carrier, within
// auth_timeout), then runs it as a carrier whose OPENs become target connections
// (open_target). A connection that fails authentication in any way gets a TLS close and
// nothing else.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/log_rate_limit.hpp"
#include "net/accept_retry.hpp"
#include "outbound/mux/server/mux_server_options.hpp"
#include "outbound/mux/server/target_opener.hpp"
#include "outbound/outbound.hpp"

namespace boost::asio::ssl {
class context;
}

namespace shunt::outbound::mux {

class MuxServer {
  public:
    struct Stats {
        std::uint64_t accepted = 0;       // TCP connections
        std::uint64_t authenticated = 0;  // carriers
        std::uint64_t auth_failed = 0;    // wrong proof, bad message, timeout, TLS failure
        std::uint64_t refused_cap = 0;    // max_carriers reached
        std::uint64_t streams = 0;
    };

    // Throws std::runtime_error when the certificate or key cannot be loaded. `dial`
    // connects TCP targets (empty: happy eyeballs; tests inject targets of their own).
    MuxServer(boost::asio::any_io_executor executor, MuxServerOptions options, AddressLookup lookup,
              TargetDialer dial = {});
    ~MuxServer();

    // Binds every listen endpoint; throws std::system_error naming the one that failed.
    void start();
    // Closes listeners and carriers. Idempotent.
    void stop();
    // Graceful: stop accepting, GOAWAY on every carrier, then stop() once the carriers
    // are gone or after `grace`, and call `done`.
    void shut_down(std::chrono::milliseconds grace, std::function<void()> done);

    // The bound endpoints (port 0 in the options picks one: tests).
    std::vector<Endpoint> local_endpoints() const;
    std::size_t carrier_count() const { return carriers_.size(); }
    // Streams on all carriers (open, or waiting for the client's end).
    std::size_t stream_count() const;
    const Stats& stats() const { return stats_; }

  private:
    // Test-only: the fuzzer (tests/fuzz/mux_server_fuzz.cpp) hands authenticate() one end of
    // a socketpair (no listener), sets the carrier options and target policy per input, and
    // checks and closes its carriers; one server then serves every input.
    friend class MuxServerInspector;
    struct Handshake;

    void do_accept(std::size_t index);
    void authenticate(boost::asio::ip::tcp::socket socket);
    void check_shut_down();

    boost::asio::any_io_executor executor_;
    boost::asio::steady_timer shutdown_timer_;
    std::chrono::steady_clock::time_point shutdown_deadline_{};
    std::function<void()> shutdown_done_;
    MuxServerOptions options_;
    AddressLookup lookup_;
    TargetDialer dial_;
    std::shared_ptr<const TargetPolicy> targets_;  // shared with the openings in flight
    Key auth_key_;
    std::shared_ptr<boost::asio::ssl::context> tls_;
    std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
    std::vector<std::unique_ptr<AcceptRetry>> accept_retries_;  // one per acceptors_ entry
    std::list<std::shared_ptr<MuxCarrier>> carriers_;
    std::size_t handshakes_ = 0;
    LogRateLimit handshake_refusal_log_{std::chrono::seconds(1)};
    LogRateLimit auth_refusal_log_{std::chrono::seconds(1)};
    std::vector<std::weak_ptr<Handshake>> pending_;  // closed by stop()
    bool stopped_ = false;
    Stats stats_;
};

}  // namespace shunt::outbound::mux
