// AcceptRetry: what a listener does when accept() fails. Out of descriptors or memory
// (EMFILE, ENFILE, ENOBUFS, ENOMEM) the waiting connection stays in the backlog, so the
// listening socket stays readable and an accept loop that simply tried again would spin
// on the CPU and log a line per failure. Instead: one log line per second at most (with
// how many failures it stands for), and the next accept after a pause, when closing
// connections may have freed descriptors. Other errors (a connection aborted before it was
// taken) are the client's, not ours: the next accept starts at once.
//
//   if (ec) return retry_.after_error(ec, [this] { do_accept(); });
//
// One per acceptor, on the acceptor's executor; cancel() when the acceptor closes (a
// paused retry then never runs).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include "base/log_rate_limit.hpp"

namespace shunt {

class AcceptRetry {
  public:
    static constexpr std::chrono::milliseconds kPause{100};

    // `what` names the listener in log lines ("dns: tcp 127.0.0.1:53").
    AcceptRetry(boost::asio::any_io_executor executor, std::string what);

    // Runs `resume` once: after kPause for exhaustion errors, else right away (posted,
    // never inline); never when the acceptor was closed (operation_aborted, EBADF). One
    // accept at a time per AcceptRetry: a second error while a pause waits replaces it.
    void after_error(const boost::system::error_code& ec, std::function<void()> resume);
    void cancel();

    // Accept errors seen, and how many of them paused the listener.
    std::uint64_t errors() const { return errors_; }
    std::uint64_t pauses() const { return pauses_; }

    static bool is_exhaustion(const boost::system::error_code& ec);

  private:
    boost::asio::steady_timer timer_;
    std::string what_;
    LogRateLimit log_{std::chrono::seconds(1)};
    std::uint64_t errors_ = 0;
    std::uint64_t pauses_ = 0;
};

}  // namespace shunt
