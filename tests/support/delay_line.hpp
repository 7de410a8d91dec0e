// DelayLine: a TCP forwarder on loopback that behaves like a long link: every byte, in
// both directions, arrives `one_way` later than it was sent, and it keeps reading while
// earlier bytes wait, so throughput is limited by the endpoints' windows, not by it (a
// stop-and-wait forwarder would cap it at one chunk per delay). The round trip through
// it is 2 * one_way. Runs on the caller's io_context; what is in flight is held in memory
// (tests move tens of MB at most).
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace shunt::test {

class DelayLine {
  public:
    DelayLine(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint target,
              std::chrono::milliseconds one_way);
    ~DelayLine();
    DelayLine(const DelayLine&) = delete;
    DelayLine& operator=(const DelayLine&) = delete;

    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

    struct Pair;

  private:
    void accept();

    boost::asio::io_context& io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::ip::tcp::endpoint target_;
    std::chrono::milliseconds one_way_;
    std::list<std::weak_ptr<Pair>> pairs_;  // closed when the line goes
};

}  // namespace shunt::test
