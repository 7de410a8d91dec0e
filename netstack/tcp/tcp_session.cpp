#include "netstack/tcp/tcp_session.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

extern "C" {
#include <lwip/tcp.h>
}

#include "base/log_rate_limit.hpp"
#include "flow/live_flow.hpp"

namespace shunt::netstack {

namespace {

std::uint64_t g_next_id = 1;

// One buffer for the outbound -> app copy of every session: the loop is single-threaded
// and the bytes are in lwIP's own buffers before the next session reads.
std::array<std::uint8_t, 64 * 1024> g_scratch;

// At most this many pbufs go into one gathered write to the outbound.
constexpr std::size_t kMaxGather = 64;

// Reads from the outbound per readiness before lwIP sends: 4 x 64 KB fills TCP_SND_BUF.
constexpr int kMaxReadsPerWake = 4;

// Refused flows, for every session (all on the netstack thread).
LogRateLimit g_refusal_log{std::chrono::seconds(1)};

IpAddress address_of(const ip_addr_t& address) {
    if (IP_IS_V4_VAL(address))
        return IpAddress::from_v4(lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&address))));
    std::array<std::uint8_t, 16> bytes;
    std::memcpy(bytes.data(), ip_2_ip6(&address)->addr, 16);
    return IpAddress::from_v6(bytes);
}

}  // namespace

std::string_view to_string(CloseReason reason) {
    switch (reason) {
        case CloseReason::done:
            return "done";
        case CloseReason::app_reset:
            return "app reset";
        case CloseReason::outbound_reset:
            return "outbound reset";
        case CloseReason::outbound_failed:
            return "outbound failed";
        case CloseReason::idle:
            return "idle timeout";
        case CloseReason::killed:
            return "killed";
        case CloseReason::shutdown:
            return "shutdown";
    }
    return "?";
}

struct TcpSession::Callbacks {
    static err_t recv(void* arg, tcp_pcb*, pbuf* p, err_t err) {
        auto* session = static_cast<TcpSession*>(arg);
        if (err != ERR_OK) {
            if (p) pbuf_free(p);
            return ERR_OK;
        }
        session->on_app_data(p);
        return ERR_OK;
    }
    static err_t sent(void* arg, tcp_pcb*, u16_t length) {
        static_cast<TcpSession*>(arg)->on_app_sent(length);
        return ERR_OK;
    }
    static void error(void* arg, err_t) {
        // lwIP has freed the pcb already.
        static_cast<TcpSession*>(arg)->on_app_error();
    }
};

TcpSession::TcpSession(boost::asio::any_io_executor executor, tcp_pcb* pcb,
                       TcpSessionOptions options, ClosedHandler on_closed)
    : executor_(std::move(executor)),
      pcb_(pcb),
      options_(options),
      on_closed_(std::move(on_closed)),
      idle_timer_(executor_),
      last_activity_(std::chrono::steady_clock::now()),
      source_{address_of(pcb->remote_ip), pcb->remote_port},
      destination_{address_of(pcb->local_ip), pcb->local_port},
      id_(g_next_id++) {
    tcp_arg(pcb_, this);
    tcp_recv(pcb_, Callbacks::recv);
    tcp_sent(pcb_, Callbacks::sent);
    tcp_err(pcb_, Callbacks::error);
    // Small writes from the outbound go out at once: the app's latency is ours.
    tcp_nagle_disable(pcb_);
}

TcpSession::~TcpSession() {
    // Before the pbufs go: a stream may be reading them (idempotent after close()).
    if (stream_) stream_->close(false);
    detach_pcb();
    if (pcb_ != nullptr) tcp_abort(pcb_);
    for (pbuf* p : to_outbound_) pbuf_free(p);
}

void TcpSession::detach_pcb() {
    if (pcb_ == nullptr) return;
    tcp_arg(pcb_, nullptr);
    tcp_recv(pcb_, nullptr);
    tcp_sent(pcb_, nullptr);
    tcp_err(pcb_, nullptr);
}

void TcpSession::attach(std::unique_ptr<outbound::Stream> stream,
                        std::unique_ptr<flow::LiveFlow> live) {
    if (state_ != TcpSessionState::waiting_outbound) {
        stream->close(false);
        return;
    }
    stream_ = std::move(stream);
    live_ = std::move(live);
    state_ = TcpSessionState::relaying;
    touch();
    arm_idle_timer();
    if (!to_outbound_.empty())
        do_write_outbound();
    else if (app_finished_)
        finish_app_to_outbound();
    do_read_outbound();
}

void TcpSession::refuse(const std::string& reason) {
    if (state_ == TcpSessionState::closed) return;
    // A line a second at most: when the outbound side fails for everyone (out of
    // descriptors, the uplink gone), each app retrying would otherwise add a line per try.
    if (auto skipped = g_refusal_log.admit())
        spdlog::info("tcp {} -> {}: refused: {}{}", source_.to_string(), destination_.to_string(),
                     reason,
                     *skipped == 0 ? std::string()
                                   : " (" + std::to_string(*skipped) + " more refused since)");
    else
        spdlog::debug("tcp {} -> {}: refused: {}", source_.to_string(), destination_.to_string(),
                      reason);
    close(CloseReason::outbound_failed);
}

// ---- app -> outbound ----

void TcpSession::on_app_data(pbuf* p) {
    if (state_ == TcpSessionState::closed) {
        if (p) pbuf_free(p);
        return;
    }
    touch();
    if (p == nullptr) {  // FIN from the app
        app_finished_ = true;
        if (state_ == TcpSessionState::relaying && to_outbound_.empty() && !writing_outbound_)
            finish_app_to_outbound();
        return;
    }
    to_outbound_.push_back(p);
    if (state_ == TcpSessionState::relaying && !writing_outbound_) do_write_outbound();
}

void TcpSession::do_write_outbound() {
    std::vector<boost::asio::const_buffer> buffers;
    buffers.reserve(std::min(to_outbound_.size() * 2, kMaxGather));
    std::size_t offset = to_outbound_offset_;
    for (pbuf* head : to_outbound_) {
        for (pbuf* q = head; q != nullptr && buffers.size() < kMaxGather; q = q->next) {
            if (offset >= q->len) {
                offset -= q->len;
                continue;
            }
            buffers.emplace_back(static_cast<const std::uint8_t*>(q->payload) + offset,
                                 q->len - offset);
            offset = 0;
        }
        if (buffers.size() >= kMaxGather) break;
    }
    writing_outbound_ = true;
    stream_->async_write(
        std::move(buffers),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
            self->on_write_outbound(ec, n);
        });
}

void TcpSession::on_write_outbound(const boost::system::error_code& ec, std::size_t written) {
    writing_outbound_ = false;
    if (state_ == TcpSessionState::closed) return;
    if (ec) {
        spdlog::debug("tcp {} -> {}: write to outbound: {}", source_.to_string(),
                      destination_.to_string(), ec.message());
        close(CloseReason::outbound_reset);
        return;
    }
    touch();
    bytes_to_outbound_ += written;
    if (live_) live_->upload += written;
    // Free what was written and reopen the app's window by as much.
    std::size_t left = written + to_outbound_offset_;
    while (!to_outbound_.empty() && left >= to_outbound_.front()->tot_len) {
        left -= to_outbound_.front()->tot_len;
        pbuf_free(to_outbound_.front());
        to_outbound_.pop_front();
    }
    to_outbound_offset_ = left;
    for (std::size_t rest = written; rest > 0 && pcb_ != nullptr;) {
        const auto chunk = static_cast<u16_t>(std::min<std::size_t>(rest, 0xffff));
        tcp_recved(pcb_, chunk);
        rest -= chunk;
    }
    if (!to_outbound_.empty()) {
        do_write_outbound();
    } else if (app_finished_) {
        finish_app_to_outbound();
    }
}

void TcpSession::finish_app_to_outbound() {
    if (outbound_shut_) return;
    outbound_shut_ = true;
    stream_->shutdown_send();
    maybe_done();
}

// ---- outbound -> app ----

void TcpSession::do_read_outbound() {
    if (reading_outbound_ || outbound_finished_ || state_ != TcpSessionState::relaying) return;
    reading_outbound_ = true;
    stream_->async_wait_readable([self = shared_from_this()](const boost::system::error_code& ec) {
        self->reading_outbound_ = false;
        self->on_outbound_readable(ec);
    });
}

void TcpSession::on_outbound_readable(const boost::system::error_code& wait_error) {
    if (state_ == TcpSessionState::closed) return;
    if (wait_error) {
        close(CloseReason::outbound_reset);
        return;
    }
    if (pcb_ == nullptr) return;
    // Take what the socket holds, as far as lwIP's send buffer goes, before one tcp_output:
    // the segments then leave as one run (one GSO write to the TUN) instead of one short
    // run per read. A read that does not fill its space drained the socket.
    bool queued = false;
    for (int round = 0; round < kMaxReadsPerWake; ++round) {
        const std::size_t space = std::min<std::size_t>(tcp_sndbuf(pcb_), g_scratch.size());
        if (space == 0 || !to_app_pending_.empty()) {
            waiting_app_space_ = true;  // on_app_sent() resumes
            break;
        }
        boost::system::error_code ec;
        const std::size_t n = stream_->read_some(std::span(g_scratch.data(), space), ec);
        if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) break;
        if (ec == boost::asio::error::eof) {
            outbound_finished_ = true;
            tcp_shutdown(pcb_, 0, 1);  // FIN to the app after the bytes already queued
            tcp_output(pcb_);
            maybe_done();
            return;
        }
        if (ec) {
            spdlog::debug("tcp {} -> {}: read from outbound: {}", source_.to_string(),
                          destination_.to_string(), ec.message());
            if (queued) tcp_output(pcb_);
            close(CloseReason::outbound_reset);
            return;
        }
        touch();
        queued = true;
        if (!queue_to_app(g_scratch.data(), n)) {
            if (pcb_ != nullptr) tcp_output(pcb_);
            return;
        }
        if (n < space) break;
    }
    if (queued) tcp_output(pcb_);
    if (!waiting_app_space_) do_read_outbound();
}

// Copies into lwIP without sending (the caller calls tcp_output); what lwIP cannot queue
// now (segment count limit) waits in to_app_pending_, which on_app_sent() drains before
// reading more.
bool TcpSession::queue_to_app(const std::uint8_t* data, std::size_t length) {
    std::size_t offset = 0;
    while (offset < length) {
        const auto chunk = static_cast<u16_t>(std::min<std::size_t>(length - offset, 0xffff));
        const err_t err = tcp_write(pcb_, data + offset, chunk, TCP_WRITE_FLAG_COPY);
        if (err == ERR_MEM) break;
        if (err != ERR_OK) {
            // May run inside lwIP's sent callback, where the pcb must not be freed.
            boost::asio::post(executor_,
                              [self = shared_from_this()] { self->close(CloseReason::app_reset); });
            return false;
        }
        offset += chunk;
    }
    bytes_to_app_ += offset;
    if (live_) live_->download += offset;
    if (offset < length) {
        to_app_pending_.assign(data + offset, data + length);
        waiting_app_space_ = true;
        return false;
    }
    return true;
}

void TcpSession::on_app_sent(std::uint16_t) {
    if (state_ != TcpSessionState::relaying || pcb_ == nullptr) return;
    touch();
    if (!to_app_pending_.empty()) {
        std::vector<std::uint8_t> pending;
        pending.swap(to_app_pending_);
        const bool all = queue_to_app(pending.data(), pending.size());
        tcp_output(pcb_);
        if (!all) return;
    }
    if (waiting_app_space_) {
        waiting_app_space_ = false;
        do_read_outbound();
    }
}

// ---- endings ----

void TcpSession::on_app_error() {
    pcb_ = nullptr;  // freed by lwIP
    close(CloseReason::app_reset);
}

void TcpSession::maybe_done() {
    if (app_finished_ && outbound_shut_ && outbound_finished_ && to_app_pending_.empty())
        close(CloseReason::done);
}

void TcpSession::close(CloseReason reason) {
    if (state_ == TcpSessionState::closed) return;
    state_ = TcpSessionState::closed;
    idle_timer_.cancel();
    const bool graceful = reason == CloseReason::done;
    // An abortive close (RST, mux RESET) when the app reset or we give up: the server must
    // not think the request completed. The stream first: one on another thread may still
    // be reading to_outbound_'s pbufs, and its close waits until it let go of them.
    if (stream_) stream_->close(graceful);
    for (pbuf* p : to_outbound_) pbuf_free(p);
    to_outbound_.clear();
    if (pcb_ != nullptr) {
        detach_pcb();
        // A graceful close lets lwIP finish sending what is queued; anything else resets.
        if (!graceful || tcp_close(pcb_) != ERR_OK) tcp_abort(pcb_);
        pcb_ = nullptr;
    }
    spdlog::debug("tcp {} -> {}: closed ({}), {} B out, {} B in", source_.to_string(),
                  destination_.to_string(), to_string(reason), bytes_to_outbound_, bytes_to_app_);
    if (on_closed_) {
        // Reported from the loop, not from inside whatever called close(). The owner may
        // have forgotten us (forget_owner) by then: look again.
        boost::asio::post(executor_, [self = shared_from_this(), reason] {
            if (self->on_closed_) self->on_closed_(*self, reason);
        });
    }
}

void TcpSession::touch() {
    last_activity_ = std::chrono::steady_clock::now();
}

void TcpSession::arm_idle_timer() {
    const auto deadline = last_activity_ + options_.idle_timeout;
    idle_timer_.expires_at(deadline);
    idle_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (ec || self->state_ == TcpSessionState::closed) return;
        if (std::chrono::steady_clock::now() - self->last_activity_ >= self->options_.idle_timeout)
            self->close(CloseReason::idle);
        else
            self->arm_idle_timer();  // there was traffic since: wait for the rest
    });
}

}  // namespace shunt::netstack
