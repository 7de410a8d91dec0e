// A mux server and client in one process on loopback, with a TCP echo target: the fixture
// the mux tests share. Certificates come from a throwaway CA (TestCa); everything runs on
// one io_context that the tests drive with run_until().
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "outbound/mux/client/carrier_threads.hpp"
#include "outbound/mux/client/mux_outbound.hpp"
#include "outbound/mux/server/mux_server.hpp"
#include "tests/support/test_ca.hpp"

namespace shunt::outbound::mux::test {

// Echoes every byte back on every accepted connection; with `read = false` it accepts and
// never reads (a target that stalls its stream).
class EchoTarget {
  public:
    EchoTarget(boost::asio::io_context& io, bool read = true)
        : acceptor_(io, {boost::asio::ip::make_address("127.0.0.1"), 0}), read_(read) {
        accept();
    }
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    std::size_t connections() const { return accepted_; }

  private:
    struct Connection : std::enable_shared_from_this<Connection> {
        explicit Connection(boost::asio::ip::tcp::socket s) : socket(std::move(s)) {}
        boost::asio::ip::tcp::socket socket;
        std::vector<std::uint8_t> buffer = std::vector<std::uint8_t>(65536);
        void run();
    };
    void accept();

    boost::asio::ip::tcp::acceptor acceptor_;
    bool read_;
    std::size_t accepted_ = 0;
    std::list<std::shared_ptr<Connection>> idle_;  // the non-reading ones, kept open
};

class MuxFixture : public ::testing::Test {
  protected:
    MuxFixture();
    ~MuxFixture() override;

    // Starts the server with `password` (port chosen by the kernel unless `port` given).
    void start_server(const std::string& password = "secret", std::uint16_t port = 0,
                      const CarrierOptions& carrier = {});
    MuxClientOptions client_options(const std::string& password = "secret") const;
    std::unique_ptr<MuxOutbound> make_client(const MuxClientOptions& options);

    // Connects through `client` to the echo target; nullptr (and `reason`) on failure.
    std::unique_ptr<Stream> connect(MuxOutbound& client, std::uint16_t port, std::string& reason,
                                    std::chrono::seconds timeout = std::chrono::seconds(10));
    bool run_until(const std::function<bool()>& done,
                   std::chrono::milliseconds timeout = std::chrono::milliseconds(10'000));
    // Writes `data` and reads as many bytes back; false on error or timeout.
    bool echo(Stream& stream, const std::vector<std::uint8_t>& data,
              std::vector<std::uint8_t>& back);

    static AddressLookup loopback_lookup(boost::asio::io_context& io);

    // Set before make_client() to run the client's carriers on threads (as `shunt run`
    // does). Declared before `io`: handlers still queued there may hold streams of them.
    std::unique_ptr<CarrierThreads> carrier_threads;
    boost::asio::io_context io;
    shunt::test::TestCa ca;
    shunt::test::TestCertificate certificate;
    EchoTarget echo_target{io};
    // Whom the server lets clients reach: the fixture's targets are on loopback.
    TargetPolicy server_targets{true, {}};
    std::unique_ptr<MuxServer> server;
    std::uint16_t server_port = 0;
};

std::vector<std::uint8_t> random_bytes(std::size_t n, unsigned seed = 1);

}  // namespace shunt::outbound::mux::test
