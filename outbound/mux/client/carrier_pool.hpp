// CarrierPool: the client's few carriers to one mux server (docs/mux.md, "Carrier life").
// Slots connect on first use and then stay up: a carrier that dies is reconnected with
// exponential backoff (0.5 s doubling to 30 s, ±20% jitter; reset once a carrier
// authenticated), and its streams fail at once. A new stream goes to the carrier that is
// up with the fewest streams; with none up it waits for one, at most connect_timeout.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "outbound/mux/client/mux_client_options.hpp"
#include "outbound/mux/session/mux_stream.hpp"
#include "outbound/outbound.hpp"

namespace boost::asio::ssl {
class context;
}

namespace shunt::outbound::mux {

class CarrierPool : public std::enable_shared_from_this<CarrierPool> {
  public:
    using OpenHandler = std::function<void(const boost::system::error_code& ec,
                                           std::unique_ptr<MuxStream> stream, std::string reason)>;

    // Throws std::runtime_error when the TLS setup fails (an unreadable CA file).
    CarrierPool(boost::asio::any_io_executor executor, MuxClientOptions options,
                AddressLookup lookup);
    ~CarrierPool();

    // The handler runs exactly once, never inline. The first open starts the carriers.
    void open(Network network, const HostPort& address, OpenHandler handler);
    // Connects every carrier now (the first open does it too). Idempotent.
    void start();
    // Closes every carrier; pending opens fail. Idempotent.
    void stop();
    // The pool is replaced (a reload): no new streams or reconnects; each carrier goes
    // away once the streams it carries have finished.
    void retire();

    struct Stats {
        std::uint64_t connects = 0;  // carriers that authenticated
        std::uint64_t connect_failures = 0;
        std::uint64_t carriers_lost = 0;
    };
    const Stats& stats() const { return stats_; }
    std::size_t carriers_up() const;
    // Streams on the carriers the pool holds (open, or waiting for the peer's end).
    std::size_t stream_count() const;
    const std::string& last_error() const { return last_error_; }
    // Called with carriers_up() whenever a carrier authenticates or is lost (an owner on
    // another thread mirrors it to pick among pools).
    void on_carriers_up(std::function<void(std::size_t up)> observer) {
        on_carriers_up_ = std::move(observer);
    }

  private:
    struct Slot {
        std::shared_ptr<MuxCarrier> carrier;
        bool connecting = false;
        std::chrono::milliseconds backoff{500};
        std::unique_ptr<boost::asio::steady_timer> retry;
    };
    struct Waiting {
        Network network;
        HostPort address;
        OpenHandler handler;
        std::shared_ptr<boost::asio::steady_timer> timer;
    };

    void connect(std::size_t slot);
    void on_carrier_closed(std::size_t slot, MuxCarrier& carrier, const std::string& reason);
    void schedule_retry(std::size_t slot);
    MuxCarrier* pick();
    void serve_waiting();
    void fail_waiting_if_hopeless();
    void fail_waiting(const boost::system::error_code& ec, const std::string& reason);
    void report_carriers_up();

    boost::asio::any_io_executor executor_;
    MuxClientOptions options_;
    AddressLookup lookup_;
    std::shared_ptr<boost::asio::ssl::context> tls_;
    std::vector<Slot> slots_;
    std::deque<std::shared_ptr<Waiting>> waiting_;
    bool started_ = false;
    bool stopped_ = false;
    std::string last_error_;
    std::function<void(std::size_t)> on_carriers_up_;
    Stats stats_;
    std::minstd_rand jitter_{std::random_device{}()};
};

}  // namespace shunt::outbound::mux
