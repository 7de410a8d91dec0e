// Connects a TCP socket to one of several addresses of one destination, RFC 8305 style
// ("Happy Eyeballs v2", the connection-attempt part): IPv6 first, families interleaved,
// a new attempt every `attempt_delay` or as soon as the previous one fails, first success
// wins. A dead IPv6 path then costs one attempt delay instead of a full connect timeout.
//
// Single-threaded: every member runs on the executor given at creation. The dialer keeps
// itself alive (shared_from_this) while work is in flight, so callers may drop their
// pointer after start(); they keep it only to call cancel().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include "net/ip_address.hpp"

namespace shunt {

struct HappyEyeballsOptions {
    // RFC 8305 recommends 250 ms between attempts.
    std::chrono::milliseconds attempt_delay{250};
    // The whole dial, all attempts together.
    std::chrono::milliseconds deadline{10'000};
    // SO_MARK for every socket before connect; 0 = unmarked.
    std::uint32_t routing_mark = 0;
};

class HappyEyeballsDialer : public std::enable_shared_from_this<HappyEyeballsDialer> {
  public:
    // Called exactly once, on the dialer's executor, never from inside start() or cancel().
    // Success: error is empty, `socket` is connected (mark and TCP_NODELAY set), `address` is
    // the candidate that answered, `reason` is empty. Failure: `socket` is closed, `address`
    // is unspecified, `reason` lists every attempt ("connect 203.0.113.9:443: Connection
    // refused; [2001:db8::1]:443: timed out"). error is boost::asio::error::timed_out at the
    // deadline, operation_aborted after cancel(), otherwise the last attempt's error.
    using Handler =
        std::function<void(boost::system::error_code error, boost::asio::ip::tcp::socket socket,
                           IpAddress address, std::string reason)>;

    static std::shared_ptr<HappyEyeballsDialer> create(boost::asio::any_io_executor executor,
                                                       HappyEyeballsOptions options = {});

    // Starts dialing `port` on `candidates` (duplicates ignored). At most once per dialer;
    // an empty list fails with host_not_found.
    void start(std::vector<IpAddress> candidates, std::uint16_t port, Handler handler);

    // Aborts the dial: the handler runs with operation_aborted and every socket is closed.
    // A no-op after the handler has been scheduled; before start(), start() then aborts.
    void cancel();

    // RFC 8305 section 4: IPv6 first, then alternate families, each family in given order,
    // duplicates dropped. Public so that tests and logs can see the order.
    static std::vector<IpAddress> order_candidates(const std::vector<IpAddress>& candidates);

    // Private by intent; public only for std::make_shared.
    struct PrivateTag {};
    HappyEyeballsDialer(PrivateTag, boost::asio::any_io_executor executor,
                        HappyEyeballsOptions options);

  private:
    enum class State { idle, dialing, finished };

    struct Attempt {
        explicit Attempt(boost::asio::any_io_executor executor, IpAddress to)
            : socket(std::move(executor)), address(to) {}
        boost::asio::ip::tcp::socket socket;
        IpAddress address;
        bool in_flight = false;
    };

    void do_next_attempt();
    void on_connect(std::size_t attempt_index, boost::system::error_code error);
    void arm_attempt_timer();
    void on_attempt_timer(std::uint64_t generation, boost::system::error_code error);
    void on_deadline(boost::system::error_code error);
    void record_failure(const Attempt& attempt, const std::string& what,
                        boost::system::error_code error);
    bool attempts_in_flight() const;
    void fail(boost::system::error_code error, std::string reason);
    void finish(boost::system::error_code error, std::size_t winner, std::string reason);

    boost::asio::any_io_executor executor_;
    HappyEyeballsOptions options_;
    State state_ = State::idle;
    bool cancelled_before_start_ = false;
    std::vector<IpAddress> candidates_;
    std::uint16_t port_ = 0;
    std::size_t next_candidate_ = 0;
    // unique_ptr: the sockets' addresses stay put while connects are in flight.
    std::vector<std::unique_ptr<Attempt>> attempts_;
    boost::asio::steady_timer attempt_timer_;
    // Bumped on every re-arm: a timer wait that completed just before its cancel() must not
    // start an extra attempt.
    std::uint64_t attempt_timer_generation_ = 0;
    boost::asio::steady_timer deadline_timer_;
    boost::system::error_code last_error_;
    std::string failures_;  // "a: why; b: why"
    Handler handler_;
};

}  // namespace shunt
