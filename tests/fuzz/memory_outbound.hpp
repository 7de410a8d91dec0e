// MemoryOutbound: an outbound with no socket behind it, for fuzzing the netstack. Flows the
// fuzzer's packets open end here, in memory, so no input can make shunt dial anything.
// What a connection meets is chosen by its destination port, so inputs reach every way a
// TcpSession or UdpSessionTable session can end:
//   TCP port % 4: 0 echo (bytes come back; after the app's FIN, EOF), 1 the dial fails,
//                 2 the first write fails (a reset mid-stream), 3 EOF at once (the server
//                 closes first; the app's bytes are still taken)
//   UDP port % 4: 0, 2, 3 echo (each datagram comes back from where it went), 1 refused;
//                 port % 8 == 6: the outbound fails on the first send (the session closes)
// Every handler is posted, never run inline, as a socket's would be, and none runs after
// close(): the fuzzer's teardown leaves nothing queued that points at a freed object.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include "outbound/outbound.hpp"

namespace shunt::fuzz {

class MemoryStream final : public outbound::Stream {
  public:
    enum class Behaviour { echo, reset_on_write, eof_at_once };

    MemoryStream(boost::asio::any_io_executor executor, Behaviour behaviour)
        : state_(std::make_shared<State>()) {
        state_->executor = std::move(executor);
        state_->behaviour = behaviour;
        state_->eof = behaviour == Behaviour::eof_at_once;
    }
    ~MemoryStream() override { close(false); }

    void async_write(std::vector<boost::asio::const_buffer> buffers,
                     WriteHandler handler) override {
        std::size_t total = 0;
        boost::system::error_code ec;
        if (state_->closed) {
            ec = boost::asio::error::operation_aborted;
        } else if (state_->behaviour == Behaviour::reset_on_write) {
            ec = boost::asio::error::connection_reset;
        } else {
            for (const auto& buffer : buffers) {
                const auto* bytes = static_cast<const std::uint8_t*>(buffer.data());
                // Echoed until the app finished sending; a server that closed first reads
                // and discards.
                if (state_->behaviour == Behaviour::echo && !state_->eof)
                    state_->readable.insert(state_->readable.end(), bytes, bytes + buffer.size());
                total += buffer.size();
            }
            state_->notify_reader();
        }
        boost::asio::post(state_->executor,
                          [handler = std::move(handler), ec, total] { handler(ec, total); });
    }

    void async_wait_readable(WaitHandler handler) override {
        state_->reader = std::move(handler);
        if (state_->closed || state_->eof || !state_->readable.empty()) state_->notify_reader();
    }

    std::size_t read_some(std::span<std::uint8_t> into, boost::system::error_code& ec) override {
        ec = {};
        if (state_->closed) {
            ec = boost::asio::error::operation_aborted;
            return 0;
        }
        if (state_->readable.empty()) {
            if (state_->eof)
                ec = boost::asio::error::eof;
            else
                ec = boost::asio::error::would_block;
            return 0;
        }
        const std::size_t n = std::min(into.size(), state_->readable.size());
        std::copy_n(state_->readable.begin(), n, into.begin());
        state_->readable.erase(state_->readable.begin(),
                               state_->readable.begin() + static_cast<std::ptrdiff_t>(n));
        return n;
    }

    // The echo server sends what it still holds, then finishes too.
    void shutdown_send() override {
        state_->eof = true;
        state_->notify_reader();
    }

    void close(bool) override {
        if (state_->closed) return;
        state_->closed = true;
        state_->readable.clear();
        state_->notify_reader();  // completes with operation_aborted
    }

  private:
    struct State {
        boost::asio::any_io_executor executor;
        Behaviour behaviour = Behaviour::echo;
        std::deque<std::uint8_t> readable;
        bool eof = false;
        bool closed = false;
        WaitHandler reader;

        void notify_reader() {
            if (!reader) return;
            const boost::system::error_code ec =
                closed ? boost::asio::error::operation_aborted : boost::system::error_code();
            boost::asio::post(executor, [reader = std::move(reader), ec] { reader(ec); });
            reader = nullptr;
        }
    };
    std::shared_ptr<State> state_;
};

class MemoryUdpOutbound final : public outbound::UdpOutbound {
  public:
    MemoryUdpOutbound(boost::asio::any_io_executor executor, bool fail_on_send)
        : state_(std::make_shared<State>()) {
        state_->executor = std::move(executor);
        state_->fail_on_send = fail_on_send;
    }
    ~MemoryUdpOutbound() override { close(); }

    void start(ReceiveHandler on_receive, ErrorHandler on_error) override {
        state_->on_receive = std::move(on_receive);
        state_->on_error = std::move(on_error);
    }

    outbound::UdpSendResult send(std::span<const std::uint8_t> payload,
                                 const Endpoint& destination) override {
        if (state_->closed) return outbound::UdpSendResult::failed;
        if (state_->fail_on_send) {
            boost::asio::post(state_->executor, [state = state_] {
                if (!state->closed && state->on_error) state->on_error("memory outbound failed");
            });
            return outbound::UdpSendResult::sent;
        }
        boost::asio::post(
            state_->executor,
            [state = state_, reply = std::vector<std::uint8_t>(payload.begin(), payload.end()),
             destination] {
                if (!state->closed && state->on_receive) state->on_receive(reply, destination);
            });
        return outbound::UdpSendResult::sent;
    }

    void close() override {
        state_->closed = true;
        state_->on_receive = nullptr;
        state_->on_error = nullptr;
    }

  private:
    struct State {
        boost::asio::any_io_executor executor;
        bool fail_on_send = false;
        bool closed = false;
        ReceiveHandler on_receive;
        ErrorHandler on_error;
    };
    std::shared_ptr<State> state_;
};

class MemoryOutbound final : public outbound::Outbound {
  public:
    // `name` is what rules call it: the fuzzer registers it as DIRECT, so not even a rule
    // or group that picks DIRECT reaches a real socket.
    MemoryOutbound(boost::asio::any_io_executor executor, std::string name)
        : executor_(std::move(executor)), name_(std::move(name)) {}

    const std::string& name() const override { return name_; }
    outbound::OutboundType type() const override { return outbound::OutboundType::direct; }

    void connect(const outbound::Target& target, ConnectHandler handler) override {
        ++connects_;
        std::unique_ptr<outbound::Stream> stream;
        boost::system::error_code ec;
        switch (target.port % 4) {
            case 0:
                stream = std::make_unique<MemoryStream>(executor_, MemoryStream::Behaviour::echo);
                break;
            case 1:
                ec = boost::asio::error::connection_refused;
                break;
            case 2:
                stream = std::make_unique<MemoryStream>(executor_,
                                                        MemoryStream::Behaviour::reset_on_write);
                break;
            default:
                stream =
                    std::make_unique<MemoryStream>(executor_, MemoryStream::Behaviour::eof_at_once);
                break;
        }
        boost::asio::post(executor_,
                          [handler = std::move(handler), ec, stream = std::move(stream)]() mutable {
                              handler(ec, std::move(stream), ec ? "memory outbound refused" : "");
                          });
    }

    std::unique_ptr<outbound::UdpOutbound> open_udp(const outbound::Target& target, const Endpoint&,
                                                    std::string& refusal) override {
        if (target.port % 4 == 1) {
            refusal = "memory outbound refused";
            return nullptr;
        }
        return std::make_unique<MemoryUdpOutbound>(executor_, target.port % 8 == 6);
    }

    std::uint64_t connects() const { return connects_; }

  private:
    boost::asio::any_io_executor executor_;
    std::string name_;
    std::uint64_t connects_ = 0;
};

}  // namespace shunt::fuzz
