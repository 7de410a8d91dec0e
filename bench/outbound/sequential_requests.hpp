// SequentialRequests: short HTTP/1.1 requests one after another, each over a NEW
// connection from an Outbound — the cost a per-connection proxy pays on every request
// (its handshakes) against what a multiplexed one pays (a stream open). Each request:
// connect(target) -> write "GET PATH" with Connection: close -> read until EOF -> check
// that the body has the expected length. Runs on the io_context that owns the outbound.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "outbound/outbound.hpp"

namespace shunt::bench {

struct RequestRunOptions {
    outbound::Outbound* outbound = nullptr;
    outbound::Target target;
    std::string path = "/";
    std::size_t expected_body = 0;
    int count = 1;
    std::chrono::milliseconds request_timeout{10'000};
};

struct RequestRunResult {
    int ok = 0;
    int failed = 0;
    double seconds = 0;                // first connect to the last EOF
    std::vector<double> latencies_ms;  // connect() to EOF, successful requests only
    std::string first_error;
};

class SequentialRequests : public std::enable_shared_from_this<SequentialRequests> {
  public:
    using DoneHandler = std::function<void(RequestRunResult)>;

    static void start(boost::asio::io_context& io, RequestRunOptions options, DoneHandler done);

  private:
    SequentialRequests(boost::asio::io_context& io, RequestRunOptions options, DoneHandler done);
    void next();
    void on_connected(std::uint64_t request, const boost::system::error_code& ec,
                      std::unique_ptr<outbound::Stream> stream, const std::string& reason);
    void wait_readable(std::uint64_t request);
    void on_readable(std::uint64_t request, const boost::system::error_code& ec);
    void succeed(std::uint64_t request);
    void fail(std::uint64_t request, const std::string& why);
    void end_request();

    boost::asio::io_context& io_;
    RequestRunOptions options_;
    DoneHandler done_;
    std::string request_text_;
    boost::asio::steady_timer deadline_;
    // Handlers of a request that timed out may still arrive: they carry its number and
    // are ignored once `current_` moved on.
    std::uint64_t current_ = 0;
    std::unique_ptr<outbound::Stream> stream_;
    std::string received_;
    std::vector<std::uint8_t> chunk_ = std::vector<std::uint8_t>(16 * 1024);
    std::chrono::steady_clock::time_point run_started_, request_started_;
    RequestRunResult result_;
};

// The p-th percentile (0..100) of `values` by nearest rank; 0 when empty.
double percentile(std::vector<double> values, double p);

}  // namespace shunt::bench
