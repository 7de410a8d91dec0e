// Stream: the far side of a relayed TCP connection, as the netstack's TcpSession sees it.
// A direct or SOCKS5 outbound is a connected TCP socket (TcpSocketStream); a mux outbound
// is one stream of a shared carrier. The interface is shaped by how TcpSession keeps
// backpressure without buffers of its own:
//  - writes gather the application's bytes straight from lwIP's pbufs and complete only
//    when the stream took all of them (the app's window reopens then);
//  - reads are "wait until readable, then read at most what the app can take now", so a
//    slow application stops the reads instead of growing a queue.
// Everything runs on the executor that created the stream; handlers are never called
// inline from the call that started the operation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>

namespace shunt::outbound {

class Stream {
  public:
    // ec is set when the stream failed; `written` is then what was taken before.
    using WriteHandler =
        std::function<void(const boost::system::error_code& ec, std::size_t written)>;
    using WaitHandler = std::function<void(const boost::system::error_code& ec)>;

    virtual ~Stream() = default;

    // Writes every byte of `buffers` (they stay valid until the handler ran). One write at
    // a time.
    virtual void async_write(std::vector<boost::asio::const_buffer> buffers,
                             WriteHandler handler) = 0;
    // Completes when read_some() has something to return (bytes, EOF or an error).
    virtual void async_wait_readable(WaitHandler handler) = 0;
    // Never blocks: returns bytes read, or sets ec to would_block (nothing yet), eof (the
    // far side finished sending) or the failure.
    virtual std::size_t read_some(std::span<std::uint8_t> into, boost::system::error_code& ec) = 0;
    // For a reader that moves the bytes on before their consumer has them (ThreadedStream
    // hands them to another thread): from now on read_some() does not count bytes as
    // consumed, consumed(n) does — so a flow-controlled stream (mux) keeps holding the
    // peer until the real consumer took them. A stream without flow control ignores both.
    virtual void defer_consumption() {}
    virtual void consumed(std::size_t /*bytes*/) {}
    // No more writes (our FIN); reads go on.
    virtual void shutdown_send() = 0;
    // Idempotent. graceful = false aborts (TCP RST, mux RESET) so the far side learns the
    // connection failed rather than finished. Pending handlers complete with
    // operation_aborted.
    virtual void close(bool graceful) = 0;
};

}  // namespace shunt::outbound
