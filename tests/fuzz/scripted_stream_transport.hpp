// A StreamTransport with no socket behind it, for the DNS answer fuzzer: it "connects" at
// once, keeps what the upstream writes, and plays back a fixed byte stream as the server's
// side of the connection, `chunk` bytes per read, then end of stream. Every handler is
// posted, as a socket's would be.
//
// The upstream gives each query a random wire id, so a fixed stream could never answer it.
// The playback therefore treats the stream as DNS-over-TCP frames (2-byte length, then the
// message) and XORs each message's id with the id of the first query written: an id of 0
// in the stream answers that query, any other id is a stray answer. Fuzz inputs stay
// deterministic and still reach both cases.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include "dns/upstream/stream_transport.hpp"

namespace shunt::fuzz {

class ScriptedStreamTransport : public dns::StreamTransport,
                                public std::enable_shared_from_this<ScriptedStreamTransport> {
  public:
    // `chunk` 0: everything the read buffer takes at once.
    ScriptedStreamTransport(boost::asio::any_io_executor executor,
                            std::vector<std::uint8_t> incoming, std::size_t chunk)
        : executor_(std::move(executor)), incoming_(std::move(incoming)), chunk_(chunk) {}

    // Everything the upstream wrote: 2-byte length, query, and so on.
    const std::vector<std::uint8_t>& written() const { return written_; }

    void async_connect(std::vector<boost::asio::ip::tcp::endpoint>,
                       ConnectHandler handler) override {
        boost::asio::post(executor_, [self = shared_from_this(), handler = std::move(handler)] {
            handler(self->closed_ ? boost::asio::error::operation_aborted
                                  : boost::system::error_code{});
        });
    }

    void async_write(boost::asio::const_buffer data, IoHandler handler) override {
        const auto* bytes = static_cast<const std::uint8_t*>(data.data());
        if (!closed_) written_.insert(written_.end(), bytes, bytes + data.size());
        boost::asio::post(executor_, [self = shared_from_this(), size = data.size(),
                                      handler = std::move(handler)] {
            if (self->closed_) return handler(boost::asio::error::operation_aborted, 0);
            handler({}, size);
        });
    }

    void async_read_some(boost::asio::mutable_buffer data, IoHandler handler) override {
        boost::asio::post(
            executor_, [self = shared_from_this(), data, handler = std::move(handler)] {
                if (self->closed_) return handler(boost::asio::error::operation_aborted, 0);
                // Patched on the first read: by then the upstream has written its query (it
                // starts reading and writing in the same turn, the read completes later).
                if (!self->patched_) self->patch_ids();
                const std::size_t left = self->incoming_.size() - self->delivered_;
                if (left == 0) return handler(boost::asio::error::eof, 0);
                std::size_t n = std::min(left, data.size());
                if (self->chunk_ != 0) n = std::min(n, self->chunk_);
                std::copy_n(self->incoming_.begin() + static_cast<std::ptrdiff_t>(self->delivered_),
                            n, static_cast<std::uint8_t*>(data.data()));
                self->delivered_ += n;
                handler({}, n);
            });
    }

    void close() override { closed_ = true; }

  private:
    void patch_ids() {
        patched_ = true;
        if (written_.size() < 4) return;
        const std::uint8_t id[2] = {written_[2], written_[3]};
        for (std::size_t at = 0; incoming_.size() - at >= 2;) {
            const std::size_t length = std::size_t{incoming_[at]} << 8 | incoming_[at + 1];
            if (length >= 2 && incoming_.size() - at - 2 >= 2) {
                incoming_[at + 2] ^= id[0];
                incoming_[at + 3] ^= id[1];
            }
            if (incoming_.size() - at - 2 < length) break;
            at += 2 + length;
        }
    }

    boost::asio::any_io_executor executor_;
    std::vector<std::uint8_t> incoming_;
    std::size_t chunk_;
    std::size_t delivered_ = 0;
    std::vector<std::uint8_t> written_;
    bool patched_ = false;
    bool closed_ = false;
};

}  // namespace shunt::fuzz
