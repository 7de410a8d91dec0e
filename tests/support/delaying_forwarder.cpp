#include "tests/support/delaying_forwarder.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <array>
#include <future>
#include <stdexcept>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

namespace shunt::test {

namespace {

using boost::asio::ip::tcp;

struct Pair : std::enable_shared_from_this<Pair> {
    Pair(tcp::socket client, boost::asio::io_context& io, std::chrono::milliseconds delay)
        : client(std::move(client)), target(io), delay(delay) {}

    tcp::socket client;
    tcp::socket target;
    std::chrono::milliseconds delay;
    std::array<std::uint8_t, 16384> up{};

    void start(const tcp::endpoint& to) {
        target.async_connect(to, [self = shared_from_this()](const boost::system::error_code& ec) {
            if (ec) return;
            self->pump_up();
            self->pump_down();
        });
    }
    void pump_up() {
        client.async_read_some(
            boost::asio::buffer(up),
            [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                if (ec) {
                    boost::system::error_code ignored;
                    self->target.shutdown(tcp::socket::shutdown_send, ignored);
                    return;
                }
                boost::asio::async_write(
                    self->target, boost::asio::buffer(self->up.data(), n),
                    [self](const boost::system::error_code& write_error, std::size_t) {
                        if (!write_error) self->pump_up();
                    });
            });
    }
    void pump_down() {
        auto chunk = std::make_shared<std::vector<std::uint8_t>>(16384);
        target.async_read_some(
            boost::asio::buffer(*chunk),
            [self = shared_from_this(), chunk](const boost::system::error_code& ec, std::size_t n) {
                auto timer = std::make_shared<boost::asio::steady_timer>(
                    self->client.get_executor(), self->delay);
                timer->async_wait([self, chunk, n, ec, timer](const boost::system::error_code&) {
                    if (ec) {
                        boost::system::error_code ignored;
                        self->client.shutdown(tcp::socket::shutdown_send, ignored);
                        return;
                    }
                    boost::asio::async_write(
                        self->client, boost::asio::buffer(chunk->data(), n),
                        [self](const boost::system::error_code& write_error, std::size_t) {
                            if (!write_error) self->pump_down();
                        });
                });
            });
    }
};

}  // namespace

struct DelayingForwarder::Impl {
    boost::asio::io_context io;
    std::unique_ptr<tcp::acceptor> acceptor;
    tcp::endpoint target;
    std::chrono::milliseconds delay{};

    void accept() {
        acceptor->async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
            if (ec) return;
            std::make_shared<Pair>(std::move(socket), io, delay)->start(target);
            accept();
        });
    }
};

DelayingForwarder::DelayingForwarder(const std::string& netns, const std::string& listen_address,
                                     int port, const std::string& target_address, int target_port,
                                     std::chrono::milliseconds delay)
    : impl_(std::make_unique<Impl>()) {
    impl_->target = {boost::asio::ip::make_address(target_address),
                     static_cast<std::uint16_t>(target_port)};
    impl_->delay = delay;
    std::promise<std::string> ready;
    auto started = ready.get_future();
    thread_ = std::thread([this, netns, listen_address, port, &ready] {
        const int fd = ::open(("/var/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
            if (fd >= 0) ::close(fd);
            ready.set_value("enter " + netns);
            return;
        }
        ::close(fd);
        try {
            impl_->acceptor = std::make_unique<tcp::acceptor>(
                impl_->io, tcp::endpoint(boost::asio::ip::make_address(listen_address),
                                         static_cast<std::uint16_t>(port)));
        } catch (const std::exception& e) {
            ready.set_value(e.what());
            return;
        }
        impl_->accept();
        ready.set_value("");
        impl_->io.run();
    });
    const std::string error = started.get();
    if (!error.empty()) {
        thread_.join();
        throw std::runtime_error("delaying forwarder: " + error);
    }
}

DelayingForwarder::~DelayingForwarder() {
    impl_->io.stop();
    if (thread_.joinable()) thread_.join();
}

}  // namespace shunt::test
