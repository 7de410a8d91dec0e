// AcceptRetry under real descriptor exhaustion: a listener whose process has no
// descriptor left does not spin (a handful of accept attempts per second, not thousands),
// takes the waiting connection once descriptors are free again, and a cancelled retry
// never runs.
#include "net/accept_retry.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace shunt {
namespace {

using boost::asio::ip::tcp;
using namespace std::chrono_literals;

// Lowers the soft descriptor limit and fills it, restoring both on destruction.
class DescriptorExhaustion {
  public:
    DescriptorExhaustion() {
        ::getrlimit(RLIMIT_NOFILE, &saved_);
        rlimit lowered = saved_;
        lowered.rlim_cur = 256;
        ::setrlimit(RLIMIT_NOFILE, &lowered);
        for (;;) {
            const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                errno_ = errno;
                break;
            }
            fds_.push_back(fd);
        }
    }
    ~DescriptorExhaustion() {
        release();
        ::setrlimit(RLIMIT_NOFILE, &saved_);
    }
    void release() {
        for (int fd : fds_) ::close(fd);
        fds_.clear();
    }
    int error() const { return errno_; }

  private:
    rlimit saved_{};
    std::vector<int> fds_;
    int errno_ = 0;
};

// An accept loop as the listeners write it.
struct Listener {
    explicit Listener(boost::asio::io_context& io)
        : acceptor(io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)),
          retry(io.get_executor(), "test listener") {}

    void do_accept() {
        ++attempts;
        acceptor.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
            if (ec == boost::asio::error::operation_aborted) return;
            if (ec) {
                last_error = ec;
                return retry.after_error(ec, [this] { do_accept(); });
            }
            accepted.push_back(std::move(socket));
            do_accept();
        });
    }

    tcp::acceptor acceptor;
    AcceptRetry retry;
    int attempts = 0;
    boost::system::error_code last_error;
    std::vector<tcp::socket> accepted;
};

TEST(AcceptRetry, OutOfDescriptorsPausesInsteadOfSpinningAndRecovers) {
    boost::asio::io_context io;
    Listener listener(io);
    tcp::socket client(io);
    client.connect(listener.acceptor.local_endpoint());  // waits in the backlog

    DescriptorExhaustion exhaustion;
    ASSERT_EQ(exhaustion.error(), EMFILE);
    listener.do_accept();
    io.run_for(1s);
    EXPECT_TRUE(listener.accepted.empty());
    EXPECT_EQ(listener.last_error.value(), EMFILE);
    // One attempt per pause (100 ms), not one per trip through the reactor.
    EXPECT_GE(listener.attempts, 3);
    EXPECT_LE(listener.attempts, 15);
    // Every attempt but perhaps the last (still waiting when run_for ended) paused.
    EXPECT_GE(listener.retry.pauses() + 1, static_cast<std::uint64_t>(listener.attempts));
    EXPECT_LE(listener.retry.pauses(), static_cast<std::uint64_t>(listener.attempts));

    exhaustion.release();
    const auto freed = std::chrono::steady_clock::now();
    while (listener.accepted.empty() && std::chrono::steady_clock::now() - freed < 5s)
        io.run_for(50ms);
    ASSERT_EQ(listener.accepted.size(), 1u);
    EXPECT_LT(std::chrono::steady_clock::now() - freed, 2s);
}

TEST(AcceptRetry, ACancelledRetryNeverRuns) {
    boost::asio::io_context io;
    AcceptRetry retry(io.get_executor(), "test");
    bool resumed = false;
    retry.after_error(boost::system::error_code(EMFILE, boost::system::system_category()),
                      [&] { resumed = true; });
    retry.cancel();
    io.run_for(300ms);
    EXPECT_FALSE(resumed);
}

TEST(AcceptRetry, OtherErrorsResumeAtOnceButNeverInline) {
    boost::asio::io_context io;
    AcceptRetry retry(io.get_executor(), "test");
    bool resumed = false;
    retry.after_error(boost::asio::error::connection_aborted, [&] { resumed = true; });
    EXPECT_FALSE(resumed);
    io.poll();
    EXPECT_TRUE(resumed);
    EXPECT_EQ(retry.pauses(), 0u);
    EXPECT_EQ(retry.errors(), 1u);
    for (int code : {EMFILE, ENFILE, ENOBUFS, ENOMEM})
        EXPECT_TRUE(AcceptRetry::is_exhaustion({code, boost::system::system_category()})) << code;
    EXPECT_FALSE(AcceptRetry::is_exhaustion(boost::asio::error::connection_aborted));

    // A closed acceptor: accepting again would fail at once, forever (a spin).
    bool resumed_closed = false;
    retry.after_error(boost::asio::error::operation_aborted, [&] { resumed_closed = true; });
    retry.after_error(boost::asio::error::bad_descriptor, [&] { resumed_closed = true; });
    io.restart();
    io.poll();
    EXPECT_FALSE(resumed_closed);
}

}  // namespace
}  // namespace shunt
