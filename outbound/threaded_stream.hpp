// ThreadedStream: a Stream whose far side runs on a worker thread (a mux carrier's TLS and
// framing, docs/architecture.md "Threads"). The home loop (the netstack's) sees an
// ordinary Stream; the inner stream is used, and destroyed, only on its worker.
//
// The hand-off is bounded both ways and adds no copy on the way out:
//  - writes: the worker reads the caller's buffers (lwIP's pbufs) in place. They stay
//    valid until the handler ran on home; close() with a write still in flight waits for
//    the worker to let go of them, so the caller may free them as soon as close returns;
//  - reads: the worker reads the inner stream into chunks while fewer than
//    kReceiveCapacity bytes wait for home, and stops reading above it. The inner stream
//    counts the bytes as consumed only once home has read them (defer_consumption): a
//    mux stream's window and its carrier's session cap cover the chunks here too.
//
// Ownership across the threads: home's handlers live in a part only home holds (the
// worker's callbacks carry weak references and post to home); the inner stream lives in a
// part that only the worker's callbacks hold, and close() hands it to the worker. The
// chunks in between are the one shared part, under a mutex.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "outbound/stream.hpp"

namespace shunt {
class EventLoopThread;
}

namespace shunt::outbound {

class ThreadedStream final : public Stream {
  public:
    static constexpr std::size_t kReceiveCapacity = 256 * 1024;

    // `inner` runs on `worker`; handlers run on `home`. May be constructed on either
    // thread. `on_close` runs on home once, when the stream is closed or destroyed.
    // `worker` must outlive every ThreadedStream on it.
    ThreadedStream(EventLoopThread& worker, boost::asio::any_io_executor home,
                   std::unique_ptr<Stream> inner, std::function<void()> on_close = {});
    ~ThreadedStream() override;
    ThreadedStream(const ThreadedStream&) = delete;
    ThreadedStream& operator=(const ThreadedStream&) = delete;

    void async_write(std::vector<boost::asio::const_buffer> buffers, WriteHandler handler) override;
    void async_wait_readable(WaitHandler handler) override;
    std::size_t read_some(std::span<std::uint8_t> into, boost::system::error_code& ec) override;
    void shutdown_send() override;
    void close(bool graceful) override;

    // Bytes read from the inner stream that home has not read yet (tests, stats).
    std::size_t buffered() const;

    struct Received;
    struct WorkerSide;
    struct HomeSide;

  private:
    EventLoopThread& worker_;
    boost::asio::any_io_executor home_;
    std::shared_ptr<Received> received_;
    std::shared_ptr<WorkerSide> worker_side_;  // released on the worker, never here
    std::shared_ptr<HomeSide> home_side_;
    std::function<void()> on_close_;
    std::size_t consumed_unreported_ = 0;  // read by home, not yet reported to the inner stream
    bool closed_ = false;
};

}  // namespace shunt::outbound
