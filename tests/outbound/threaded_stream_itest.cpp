// ThreadedStream over a real TCP connection on loopback: the inner stream (a
// TcpSocketStream) lives on a worker thread, the test's loop is home. Bytes cross intact
// both ways and the end follows them; reads stop at the receive capacity while home does
// not read (the peer's writes then block in the kernel); close() with a write in flight
// returns only once the worker let go of the caller's buffers; handlers run on home.
// Also built under ThreadSanitizer (shunt_tsan_tests).
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "net/event_loop_thread.hpp"
#include "outbound/tcp_socket_stream.hpp"
#include "outbound/threaded_stream.hpp"

namespace shunt::outbound {
namespace {

using tcp = boost::asio::ip::tcp;
using namespace std::chrono_literals;

std::vector<std::uint8_t> pattern(std::size_t n, unsigned seed) {
    std::vector<std::uint8_t> bytes(n);
    std::uint32_t x = seed * 2654435761U + 1;
    for (auto& b : bytes) {
        x = x * 1664525U + 1013904223U;
        b = static_cast<std::uint8_t>(x >> 24);
    }
    return bytes;
}

// The real TCP stream, with a note of when the worker closed it (what close() must have
// waited for when a write was in flight).
class ClosingProbe final : public Stream {
  public:
    ClosingProbe(std::unique_ptr<Stream> inner, std::atomic<bool>& closed)
        : inner_(std::move(inner)), closed_(closed) {}
    void async_write(std::vector<boost::asio::const_buffer> buffers,
                     WriteHandler handler) override {
        inner_->async_write(std::move(buffers), std::move(handler));
    }
    void async_wait_readable(WaitHandler handler) override {
        inner_->async_wait_readable(std::move(handler));
    }
    std::size_t read_some(std::span<std::uint8_t> into, boost::system::error_code& ec) override {
        return inner_->read_some(into, ec);
    }
    void shutdown_send() override { inner_->shutdown_send(); }
    void close(bool graceful) override {
        inner_->close(graceful);
        closed_ = true;
    }

  private:
    std::unique_ptr<Stream> inner_;
    std::atomic<bool>& closed_;
};

class ThreadedStreamTest : public ::testing::Test {
  protected:
    // Connects a socket on the worker to a listener here; `peer` is the accepted end,
    // used with blocking calls from a thread of the test's.
    void SetUp() override {
        tcp::acceptor acceptor(setup_io_, {boost::asio::ip::make_address("127.0.0.1"), 0});
        const auto endpoint = acceptor.local_endpoint();
        auto inner = worker_.call([&] {
            tcp::socket socket(worker_.executor());
            socket.connect(endpoint);
            return std::make_unique<ClosingProbe>(
                std::make_unique<TcpSocketStream>(std::move(socket)), inner_closed_);
        });
        peer_ = std::make_unique<tcp::socket>(acceptor.accept());
        stream_ = std::make_unique<ThreadedStream>(worker_, io_.get_executor(), std::move(inner),
                                                   [this] { ++closed_callbacks_; });
    }
    void TearDown() override {
        stream_.reset();
        io_.restart();
        io_.run_for(50ms);
        worker_.stop();
    }

    bool run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = 20s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        io_.restart();
        while (!done()) {
            if (std::chrono::steady_clock::now() >= deadline) return false;
            io_.run_for(5ms);
            io_.restart();
        }
        return true;
    }

    // Reads everything the stream delivers until its end; `ended` gets the end's code.
    void read_all(std::vector<std::uint8_t>& into, boost::system::error_code& ended, bool& done) {
        stream_->async_wait_readable([&, this](const boost::system::error_code&) {
            EXPECT_TRUE(io_.get_executor().running_in_this_thread());
            std::vector<std::uint8_t> chunk(100'000);
            for (;;) {
                boost::system::error_code ec;
                const std::size_t n = stream_->read_some(chunk, ec);
                if (ec == boost::asio::error::would_block) return read_all(into, ended, done);
                if (ec) {
                    ended = ec;
                    done = true;
                    return;
                }
                into.insert(into.end(), chunk.begin(), chunk.begin() + n);
            }
        });
    }

    EventLoopThread worker_{"test-worker"};  // before io_: io_'s handlers may hold streams
    boost::asio::io_context io_;
    boost::asio::io_context setup_io_;
    std::unique_ptr<tcp::socket> peer_;
    std::unique_ptr<ThreadedStream> stream_;
    std::atomic<bool> inner_closed_{false};
    int closed_callbacks_ = 0;
};

TEST_F(ThreadedStreamTest, BytesCrossBothWaysIntactAndTheEndFollowsThem) {
    const auto up = pattern(3'000'000, 1);
    const auto down = pattern(5'000'000, 2);
    std::vector<std::uint8_t> peer_got(up.size());
    std::thread peer([&] {
        boost::asio::read(*peer_, boost::asio::buffer(peer_got));
        boost::asio::write(*peer_, boost::asio::buffer(down));
        peer_->shutdown(tcp::socket::shutdown_send);
    });

    bool written = false;
    stream_->async_write({boost::asio::buffer(up.data(), 1'000'000),
                          boost::asio::buffer(up.data() + 1'000'000, up.size() - 1'000'000)},
                         [&](const boost::system::error_code& ec, std::size_t n) {
                             EXPECT_TRUE(io_.get_executor().running_in_this_thread());
                             EXPECT_FALSE(ec) << ec.message();
                             EXPECT_EQ(n, up.size());
                             written = true;
                         });
    std::vector<std::uint8_t> got;
    boost::system::error_code ended;
    bool done = false;
    read_all(got, ended, done);
    ASSERT_TRUE(run_until([&] { return written && done; }));
    peer.join();
    EXPECT_EQ(peer_got, up);
    EXPECT_EQ(ended, boost::asio::error::eof) << ended.message();
    EXPECT_EQ(got, down);
    stream_->close(true);
    EXPECT_EQ(closed_callbacks_, 1);
    stream_->close(true);  // idempotent
    EXPECT_EQ(closed_callbacks_, 1);
}

TEST_F(ThreadedStreamTest, ReadsStopAtTheCapacityWhileHomeDoesNotRead) {
    const auto down = pattern(16'000'000, 3);
    std::atomic<bool> peer_done{false};
    std::thread peer([&] {
        boost::system::error_code ec;
        boost::asio::write(*peer_, boost::asio::buffer(down), ec);
        peer_->shutdown(tcp::socket::shutdown_send, ec);
        peer_done = true;
    });
    // Home does not read: the worker fills the capacity and stops; the rest waits in the
    // kernel's buffers and the peer's write blocks.
    ASSERT_TRUE(run_until([&] { return stream_->buffered() >= ThreadedStream::kReceiveCapacity; }));
    std::this_thread::sleep_for(300ms);
    EXPECT_LE(stream_->buffered(), ThreadedStream::kReceiveCapacity + 64 * 1024);
    EXPECT_FALSE(peer_done.load()) << "16 MB fitted in the socket buffers";

    std::vector<std::uint8_t> got;
    boost::system::error_code ended;
    bool done = false;
    read_all(got, ended, done);
    ASSERT_TRUE(run_until([&] { return done; }));
    peer.join();
    EXPECT_EQ(ended, boost::asio::error::eof);
    EXPECT_EQ(got, down);
}

TEST_F(ThreadedStreamTest, CloseWithAWriteInFlightReturnsOnceTheWorkerLetGoOfTheBuffers) {
    // The peer never reads: the write stays in flight once the kernel's buffers are full.
    auto data = std::make_unique<std::vector<std::uint8_t>>(pattern(32'000'000, 4));
    auto handler_state = std::make_shared<int>(0);
    bool called = false;
    stream_->async_write(
        {boost::asio::buffer(*data)},
        [&called, handler_state](const boost::system::error_code&, std::size_t) { called = true; });
    run_until([] { return false; }, 300ms);
    EXPECT_FALSE(called);
    EXPECT_FALSE(inner_closed_.load());
    stream_->close(false);
    // Closed on the worker before close() returned: the buffer is the caller's again.
    EXPECT_TRUE(inner_closed_.load());
    // The handler was dropped here, on home, and nothing of the worker reads the buffer
    // any more: freeing it now is safe (ASan and TSan would see it otherwise).
    EXPECT_EQ(handler_state.use_count(), 1);
    data.reset();
    run_until([] { return false; }, 200ms);
    EXPECT_FALSE(called);
    // The abortive close reached the peer as a reset (or at least an end).
    std::array<std::uint8_t, 4096> sink{};
    boost::system::error_code ec;
    for (int i = 0; i < 100'000 && !ec; ++i) peer_->read_some(boost::asio::buffer(sink), ec);
    EXPECT_TRUE(ec == boost::asio::error::connection_reset || ec == boost::asio::error::eof)
        << ec.message();
}

TEST_F(ThreadedStreamTest, AFailedInnerStreamReportsItsError) {
    // The peer resets the connection (SO_LINGER 0): home reads the failure, not an EOF.
    peer_->set_option(boost::asio::socket_base::linger(true, 0));
    peer_->close();
    std::vector<std::uint8_t> got;
    boost::system::error_code ended;
    bool done = false;
    read_all(got, ended, done);
    ASSERT_TRUE(run_until([&] { return done; }));
    EXPECT_EQ(ended, boost::asio::error::connection_reset) << ended.message();
    EXPECT_TRUE(got.empty());
    // A write after the failure completes with an error, on home.
    bool written = false;
    boost::system::error_code write_error;
    const auto up = pattern(4'000'000, 6);
    stream_->async_write({boost::asio::buffer(up)},
                         [&](const boost::system::error_code& ec, std::size_t) {
                             write_error = ec;
                             written = true;
                         });
    ASSERT_TRUE(run_until([&] { return written; }));
    EXPECT_TRUE(write_error) << "a write to a reset connection succeeded";
}

}  // namespace
}  // namespace shunt::outbound
