#include "outbound/threaded_stream.hpp"

#include <algorithm>
#include <cstring>
#include <deque>
#include <mutex>
#include <vector>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include "net/event_loop_thread.hpp"

namespace shunt::outbound {

namespace {

// The worker reads the inner stream at most this much at a time; a chunk is allocated per
// read (the heap is kept warm, app/process_setup.cpp), and a small read gets a small chunk.
constexpr std::size_t kChunk = 64 * 1024;
// Home wakes the paused worker once this much room is back: one resume per few chunks,
// not one per read.
constexpr std::size_t kResumeBelow = ThreadedStream::kReceiveCapacity / 2;
// Consumption is reported to the worker at least this often (well under a mux window).
constexpr std::size_t kConsumedBatch = 64 * 1024;

}  // namespace

// What the worker read and home has not: the one part both threads touch.
struct ThreadedStream::Received {
    mutable std::mutex mutex;
    std::deque<std::vector<std::uint8_t>> chunks;
    std::size_t front_offset = 0;  // bytes of chunks.front() home already read
    std::size_t bytes = 0;
    bool ended = false;             // the inner stream reported EOF or failed
    boost::system::error_code end;  // ... with this (eof for a clean end)
    bool home_waiting = false;      // home has a read waiter: the worker wakes it
    bool worker_paused = false;     // the worker stopped at capacity: home resumes it
};

// Home's handlers: only home holds this; the worker's callbacks reach it by weak reference.
struct ThreadedStream::HomeSide {
    WaitHandler read_waiter;
    WriteHandler write_handler;
    bool write_in_flight = false;  // from async_write until its completion reached home

    void wake_reader() {
        if (!read_waiter) return;
        auto handler = std::move(read_waiter);
        read_waiter = nullptr;
        handler({});
    }
    void on_written(const boost::system::error_code& ec, std::size_t written) {
        write_in_flight = false;
        if (!write_handler) return;
        auto handler = std::move(write_handler);
        write_handler = nullptr;
        handler(ec, written);
    }
};

// The inner stream and its read pump: used and destroyed on the worker only.
struct ThreadedStream::WorkerSide : std::enable_shared_from_this<WorkerSide> {
    std::unique_ptr<Stream> inner;
    std::shared_ptr<Received> received;
    std::weak_ptr<HomeSide> home_side;
    boost::asio::any_io_executor home;
    bool waiting = false;

    void wake_home_if_waiting(bool waiting_home) {
        if (!waiting_home) return;
        boost::asio::post(home, [weak = home_side] {
            if (auto side = weak.lock()) side->wake_reader();
        });
    }

    void pump_reads() {
        while (inner && !waiting) {
            {
                const std::lock_guard lock(received->mutex);
                if (received->ended) return;
                if (received->bytes >= ThreadedStream::kReceiveCapacity) {
                    received->worker_paused = true;
                    return;
                }
            }
            std::vector<std::uint8_t> chunk(kChunk);
            boost::system::error_code ec;
            const std::size_t n = inner->read_some(chunk, ec);
            if (n > 0) {
                chunk.resize(n);
                if (n < kChunk / 4) chunk.shrink_to_fit();
                bool wake = false;
                {
                    const std::lock_guard lock(received->mutex);
                    received->chunks.push_back(std::move(chunk));
                    received->bytes += n;
                    wake = std::exchange(received->home_waiting, false);
                }
                wake_home_if_waiting(wake);
                continue;
            }
            if (ec == boost::asio::error::would_block) {
                waiting = true;
                inner->async_wait_readable(
                    [weak = weak_from_this()](const boost::system::error_code&) {
                        // A failed wait shows in the next read_some.
                        if (auto self = weak.lock()) {
                            self->waiting = false;
                            self->pump_reads();
                        }
                    });
                return;
            }
            bool wake = false;
            {
                const std::lock_guard lock(received->mutex);
                received->ended = true;
                received->end = ec ? ec : make_error_code(boost::asio::error::eof);
                wake = std::exchange(received->home_waiting, false);
            }
            wake_home_if_waiting(wake);
            return;
        }
    }

    void write(std::vector<boost::asio::const_buffer> buffers) {
        auto done = [home = home, weak = home_side](const boost::system::error_code& ec,
                                                    std::size_t written) {
            boost::asio::post(home, [weak, ec, written] {
                if (auto side = weak.lock()) side->on_written(ec, written);
            });
        };
        if (!inner) return done(boost::asio::error::operation_aborted, 0);
        inner->async_write(std::move(buffers), std::move(done));
    }

    void close(bool graceful) {
        if (!inner) return;
        inner->close(graceful);
        inner.reset();
    }
};

ThreadedStream::ThreadedStream(EventLoopThread& worker, boost::asio::any_io_executor home,
                               std::unique_ptr<Stream> inner, std::function<void()> on_close)
    : worker_(worker),
      home_(std::move(home)),
      received_(std::make_shared<Received>()),
      worker_side_(std::make_shared<WorkerSide>()),
      home_side_(std::make_shared<HomeSide>()),
      on_close_(std::move(on_close)) {
    worker_side_->inner = std::move(inner);
    worker_side_->received = received_;
    worker_side_->home_side = home_side_;
    worker_side_->home = home_;
    boost::asio::post(worker_.executor(), [weak = std::weak_ptr(worker_side_)] {
        auto side = weak.lock();
        if (!side || !side->inner) return;
        // What the worker reads stays counted by the inner stream's flow control until
        // home has read it (consumed() below): the chunks here add nothing to what the
        // peer may send.
        side->inner->defer_consumption();
        side->pump_reads();
    });
}

ThreadedStream::~ThreadedStream() {
    close(false);
}

void ThreadedStream::async_write(std::vector<boost::asio::const_buffer> buffers,
                                 WriteHandler handler) {
    if (closed_) {
        boost::asio::post(home_, [handler = std::move(handler)] {
            handler(boost::asio::error::operation_aborted, 0);
        });
        return;
    }
    home_side_->write_handler = std::move(handler);
    home_side_->write_in_flight = true;
    boost::asio::post(worker_.executor(),
                      [weak = std::weak_ptr(worker_side_), buffers = std::move(buffers)]() mutable {
                          if (auto side = weak.lock()) side->write(std::move(buffers));
                      });
}

void ThreadedStream::async_wait_readable(WaitHandler handler) {
    bool ready = closed_;
    if (!ready) {
        const std::lock_guard lock(received_->mutex);
        ready = received_->bytes > 0 || received_->ended;
        if (!ready) received_->home_waiting = true;
    }
    if (ready) {
        boost::asio::post(home_, [handler = std::move(handler)] { handler({}); });
        return;
    }
    home_side_->read_waiter = std::move(handler);
}

std::size_t ThreadedStream::read_some(std::span<std::uint8_t> into, boost::system::error_code& ec) {
    ec.clear();
    if (closed_) {
        ec = boost::asio::error::operation_aborted;
        return 0;
    }
    std::size_t copied = 0;
    bool resume = false;
    bool drained = false;
    {
        // The copy is made under the lock: the worker takes it only to push a chunk (never
        // for its own reads), so at most this copy delays it.
        const std::lock_guard lock(received_->mutex);
        auto& r = *received_;
        while (copied < into.size() && !r.chunks.empty()) {
            const auto& front = r.chunks.front();
            const std::size_t n = std::min(into.size() - copied, front.size() - r.front_offset);
            std::memcpy(into.data() + copied, front.data() + r.front_offset, n);
            copied += n;
            r.front_offset += n;
            if (r.front_offset == front.size()) {
                r.chunks.pop_front();
                r.front_offset = 0;
            }
        }
        r.bytes -= copied;
        if (copied == 0) {
            ec = r.ended ? r.end : make_error_code(boost::asio::error::would_block);
            return 0;
        }
        if (r.worker_paused && r.bytes < kResumeBelow) {
            r.worker_paused = false;
            resume = true;
        }
        drained = r.bytes == 0;
    }
    // Home has the bytes now: the inner stream may return their credit. Reported in
    // batches (one hand-off per kConsumedBatch, or when home has read everything, so that
    // nothing is ever withheld from a peer waiting for it).
    consumed_unreported_ += copied;
    if (resume || drained || consumed_unreported_ >= kConsumedBatch) {
        boost::asio::post(worker_.executor(), [weak = std::weak_ptr(worker_side_), resume,
                                               consumed = std::exchange(consumed_unreported_, 0)] {
            auto side = weak.lock();
            if (!side || !side->inner) return;
            side->inner->consumed(consumed);
            if (resume) side->pump_reads();
        });
    }
    return copied;
}

void ThreadedStream::shutdown_send() {
    if (closed_) return;
    boost::asio::post(worker_.executor(), [weak = std::weak_ptr(worker_side_)] {
        if (auto side = weak.lock())
            if (side->inner) side->inner->shutdown_send();
    });
}

void ThreadedStream::close(bool graceful) {
    if (closed_) return;
    closed_ = true;
    home_side_->read_waiter = nullptr;
    home_side_->write_handler = nullptr;
    // The worker side is released on the worker: the inner stream (a mux stream, its
    // carrier) must never be touched, nor destroyed, here.
    auto release = [side = std::move(worker_side_), graceful]() mutable {
        side->close(graceful);
        side.reset();
    };
    if (home_side_->write_in_flight) {
        // The worker may be reading the caller's buffers right now: wait until it closed
        // the inner stream (which then lets go of them) so the caller may free them.
        home_side_->write_in_flight = false;
        worker_.call(std::move(release));
    } else {
        boost::asio::post(worker_.executor(), std::move(release));
    }
    if (auto on_close = std::move(on_close_)) on_close();
}

std::size_t ThreadedStream::buffered() const {
    const std::lock_guard lock(received_->mutex);
    return received_->bytes;
}

}  // namespace shunt::outbound
