#include "tests/support/mux_fixture.hpp"

#include <random>

#include <boost/asio/write.hpp>

namespace shunt::outbound::mux::test {

std::vector<std::uint8_t> random_bytes(std::size_t n, unsigned seed) {
    std::vector<std::uint8_t> data(n);
    std::mt19937 random(seed);
    for (auto& byte : data) byte = static_cast<std::uint8_t>(random());
    return data;
}

void EchoTarget::accept() {
    acceptor_.async_accept(
        [this](const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket) {
            if (ec) return;
            ++accepted_;
            auto connection = std::make_shared<Connection>(std::move(socket));
            if (read_)
                connection->run();
            else
                idle_.push_back(connection);
            accept();
        });
}

void EchoTarget::Connection::run() {
    socket.async_read_some(boost::asio::buffer(buffer), [self = shared_from_this()](
                                                            const boost::system::error_code& ec,
                                                            std::size_t n) {
        if (ec) {
            boost::system::error_code ignored;
            // Pass the client's FIN on: the echo is complete.
            self->socket.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
            return;
        }
        boost::asio::async_write(self->socket, boost::asio::buffer(self->buffer.data(), n),
                                 [self](const boost::system::error_code& write_error, std::size_t) {
                                     if (!write_error) self->run();
                                 });
    });
}

MuxFixture::MuxFixture() : certificate(ca.issue("mux.test", "127.0.0.1")) {}

MuxFixture::~MuxFixture() {
    if (server) server->stop();
    // Let closes and posted handlers run before the io_context goes.
    io.restart();
    io.run_for(std::chrono::milliseconds(50));
    // What the tests left is torn down on this thread alone (as ~App does).
    if (carrier_threads) carrier_threads->stop();
}

AddressLookup MuxFixture::loopback_lookup(boost::asio::io_context& io) {
    return [&io](const std::string& name, AddressCallback done) {
        boost::asio::post(io, [name, done = std::move(done)] {
            if (name == "localhost" || name == "mux.test")
                done({}, {*IpAddress::parse("127.0.0.1")});
            else
                done(boost::asio::error::host_not_found, {});
        });
    };
}

void MuxFixture::start_server(const std::string& password, std::uint16_t port,
                              const CarrierOptions& carrier) {
    MuxServerOptions options;
    options.carrier = carrier;
    options.targets = server_targets;
    options.listen = {Endpoint{*IpAddress::parse("127.0.0.1"), port}};
    options.password = password;
    options.cert_file = certificate.cert_file;
    options.key_file = certificate.key_file;
    server = std::make_unique<MuxServer>(io.get_executor(), options, loopback_lookup(io));
    server->start();
    server_port = server->local_endpoints().at(0).port;
}

MuxClientOptions MuxFixture::client_options(const std::string& password) const {
    MuxClientOptions options;
    options.name = "test-mux";
    options.server = "127.0.0.1";
    options.port = server_port;
    options.password = password;
    options.ca_file = ca.ca_file();
    options.sni = "mux.test";
    options.connect_timeout = std::chrono::milliseconds(3000);
    return options;
}

std::unique_ptr<MuxOutbound> MuxFixture::make_client(const MuxClientOptions& options) {
    return std::make_unique<MuxOutbound>(io.get_executor(), options, loopback_lookup(io),
                                         carrier_threads.get());
}

bool MuxFixture::run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    io.restart();
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        io.run_for(std::chrono::milliseconds(5));
        io.restart();
    }
    return true;
}

std::unique_ptr<Stream> MuxFixture::connect(MuxOutbound& client, std::uint16_t port,
                                            std::string& reason, std::chrono::seconds timeout) {
    Target target;
    target.address = IpAddress::parse("127.0.0.1");
    target.port = port;
    bool done = false;
    std::unique_ptr<Stream> result;
    client.connect(target, [&](const boost::system::error_code& ec, std::unique_ptr<Stream> stream,
                               std::string why) {
        done = true;
        if (ec)
            reason = why;
        else
            result = std::move(stream);
    });
    if (!run_until([&] { return done; }, timeout)) reason = "connect: no answer";
    return result;
}

bool MuxFixture::echo(Stream& stream, const std::vector<std::uint8_t>& data,
                      std::vector<std::uint8_t>& back) {
    bool written = false;
    bool failed = false;
    stream.async_write({boost::asio::buffer(data)},
                       [&](const boost::system::error_code& ec, std::size_t) {
                           written = true;
                           failed = failed || bool(ec);
                       });
    back.clear();
    std::vector<std::uint8_t> chunk(65536);
    bool waiting = false;
    std::function<void()> read_more = [&] {
        waiting = true;
        stream.async_wait_readable([&](const boost::system::error_code& ec) {
            waiting = false;
            if (ec) {
                failed = true;
                return;
            }
            for (;;) {
                boost::system::error_code read_error;
                const std::size_t n = stream.read_some(chunk, read_error);
                if (read_error == boost::asio::error::would_block) break;
                if (read_error) {
                    failed = true;
                    return;
                }
                back.insert(back.end(), chunk.begin(), chunk.begin() + n);
            }
            if (back.size() < data.size()) read_more();
        });
    };
    read_more();
    const bool ok = run_until([&] { return failed || (written && back.size() >= data.size()); },
                              std::chrono::milliseconds(30'000));
    return ok && !failed;
}

}  // namespace shunt::outbound::mux::test
