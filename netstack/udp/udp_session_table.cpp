#include "netstack/udp/udp_session_table.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "flow/flow_registry.hpp"
#include "netstack/packet/ip_header_writer.hpp"
#include "netstack/packet/udp_datagram.hpp"

namespace shunt::netstack {

namespace {

bool is_multicast_or_broadcast(const IpAddress& address) {
    if (address.is_v4()) {
        const std::uint32_t value = address.v4();
        return (value >> 28) == 0xe || value == 0xffffffffu;
    }
    return address.bytes()[0] == 0xff;
}

std::size_t hash_endpoint(const Endpoint& endpoint, std::size_t seed) {
    // FNV-1a over the address bytes, family and port: cheap and good enough for a table
    // whose keys an application cannot choose freely (its own ports, shunt's fake IPs).
    std::size_t hash = seed;
    const auto mix = [&hash](std::uint8_t byte) {
        hash ^= byte;
        hash *= 0x100000001b3ull;
    };
    const std::size_t length = endpoint.address.is_v4() ? 4 : 16;
    for (std::size_t i = 0; i < length; ++i) mix(endpoint.address.bytes()[i]);
    mix(static_cast<std::uint8_t>(endpoint.address.family()));
    mix(static_cast<std::uint8_t>(endpoint.port >> 8));
    mix(static_cast<std::uint8_t>(endpoint.port));
    return hash;
}

}  // namespace

std::string_view to_string(UdpDropReason reason) {
    switch (reason) {
        case UdpDropReason::malformed:
            return "malformed";
        case UdpDropReason::multicast:
            return "multicast";
        case UdpDropReason::refused:
            return "refused";
        case UdpDropReason::send_would_block:
            return "send would block";
        case UdpDropReason::send_failed:
            return "send failed";
        case UdpDropReason::reply_too_large:
            return "reply too large";
        case UdpDropReason::reply_family:
            return "reply family";
    }
    return "unknown";
}

std::string_view to_string(UdpCloseReason reason) {
    switch (reason) {
        case UdpCloseReason::idle:
            return "idle";
        case UdpCloseReason::evicted:
            return "evicted";
        case UdpCloseReason::outbound_error:
            return "outbound error";
        case UdpCloseReason::killed:
            return "killed";
        case UdpCloseReason::shutdown:
            return "shutdown";
    }
    return "unknown";
}

std::size_t UdpSessionTable::FlowKeyHash::operator()(const FlowKey& key) const noexcept {
    return hash_endpoint(key.destination, hash_endpoint(key.source, 0xcbf29ce484222325ull));
}

UdpSessionTable::UdpSessionTable(boost::asio::any_io_executor executor, UdpOutboundFactory factory,
                                 PacketWriter writer, UdpSessionLimits limits,
                                 flow::FlowRegistry* registry)
    : executor_(std::move(executor)),
      factory_(std::move(factory)),
      writer_(std::move(writer)),
      limits_(limits),
      registry_(registry),
      idle_timer_(executor_),
      reply_buffer_(kIpv6HeaderSize + kUdpHeaderSize + 0x10000) {
    if (limits_.max_sessions == 0) limits_.max_sessions = 1;
}

UdpSessionTable::~UdpSessionTable() {
    close_all();
    *alive_ = false;
}

void UdpSessionTable::handle_packet(const IpPacketView& packet) {
    if (packet.protocol != kProtocolUdp) return drop(UdpDropReason::malformed);
    const auto datagram = parse_udp_datagram(packet);
    if (!datagram || datagram->source.port == 0 || datagram->destination.port == 0) {
        return drop(UdpDropReason::malformed);
    }
    if (is_multicast_or_broadcast(datagram->destination.address)) {
        return drop(UdpDropReason::multicast);
    }
    const FlowKey key{datagram->source, datagram->destination};
    SessionList::iterator session;
    if (const auto found = index_.find(key); found != index_.end()) {
        session = found->second;
    } else {
        session = open_session(key);
        if (session == sessions_.end()) return drop(UdpDropReason::refused);
    }
    touch(session);
    switch (session->outbound->send(datagram->payload, session->remote)) {
        case UdpSendResult::sent:
            ++counters_.packets_out;
            counters_.bytes_out += datagram->payload.size();
            if (session->live) session->live->upload += datagram->payload.size();
            break;
        case UdpSendResult::would_block:
            drop(UdpDropReason::send_would_block);
            break;
        case UdpSendResult::failed:
            drop(UdpDropReason::send_failed);
            break;
    }
}

UdpSessionTable::SessionList::iterator UdpSessionTable::open_session(const FlowKey& key) {
    UdpSessionPlan plan = factory_(UdpFlow{key.source, key.destination});
    if (!plan.outbound) return sessions_.end();
    // Make room first, so the cap holds even while the new session starts.
    while (sessions_.size() >= limits_.max_sessions) {
        log_eviction(sessions_.back().key);
        ++counters_.sessions_evicted;
        close_session(std::prev(sessions_.end()), UdpCloseReason::evicted);
    }
    sessions_.emplace_front();
    const auto session = sessions_.begin();
    session->key = key;
    session->remote = plan.remote;
    session->outbound = std::move(plan.outbound);
    session->table = this;
    index_.emplace(key, session);
    ++counters_.sessions_opened;

    const std::weak_ptr<bool> alive = alive_;
    if (registry_ && plan.live) {
        session->live = std::move(plan.live);
        registry_->add(*session->live, *session);
    }
    session->outbound->start(
        [this, alive, key](std::span<const std::uint8_t> payload, const Endpoint& from) {
            if (const auto token = alive.lock(); token && *token) deliver_reply(key, payload, from);
        },
        [this, alive, key](std::string_view reason) {
            const auto token = alive.lock();
            if (!token || !*token) return;
            const auto found = index_.find(key);
            if (found == index_.end()) return;
            spdlog::debug("udp {} -> {}: outbound failed: {}", key.source.to_string(),
                          key.destination.to_string(), reason);
            close_session(found->second, UdpCloseReason::outbound_error);
        });
    return session;
}

void UdpSessionTable::Session::close_flow() {
    if (const auto found = table->index_.find(key); found != table->index_.end())
        table->close_session(found->second, UdpCloseReason::killed);
}

void UdpSessionTable::touch(SessionList::iterator session) {
    session->last_active = std::chrono::steady_clock::now();
    if (session != sessions_.begin()) sessions_.splice(sessions_.begin(), sessions_, session);
    arm_idle_timer();
}

void UdpSessionTable::deliver_reply(const FlowKey& key, std::span<const std::uint8_t> payload,
                                    const Endpoint& from) {
    const auto found = index_.find(key);
    if (found == index_.end()) return;
    const auto session = found->second;
    // The application sent to key.destination; a reply from where that went must look as if
    // it came from there (a fake IP), or the application's socket would not accept it.
    const Endpoint source = from == session->remote ? key.destination : from;
    if (source.address.family() != key.source.address.family()) {
        return drop(UdpDropReason::reply_family);
    }
    const std::size_t length =
        build_udp_packet(UdpPacketSpec{source, key.source, payload}, reply_buffer_);
    if (length == 0) return drop(UdpDropReason::reply_too_large);
    touch(session);
    ++counters_.packets_in;
    counters_.bytes_in += payload.size();
    if (session->live) session->live->download += payload.size();
    writer_(std::span<const std::uint8_t>(reply_buffer_.data(), length));
}

void UdpSessionTable::close_session(SessionList::iterator session, UdpCloseReason reason) {
    ++counters_.sessions_closed;
    if (reason == UdpCloseReason::idle) ++counters_.sessions_idle;
    spdlog::trace("udp {} -> {}: closed ({})", session->key.source.to_string(),
                  session->key.destination.to_string(), to_string(reason));
    std::unique_ptr<UdpOutbound> outbound = std::move(session->outbound);
    if (session->live) registry_->remove(*session->live);
    index_.erase(session->key);
    sessions_.erase(session);
    outbound->close();
    // We may be inside one of the outbound's handlers: destroy it once that returned.
    boost::asio::post(executor_, [outbound = std::shared_ptr<UdpOutbound>(std::move(outbound))] {});
}

void UdpSessionTable::close_all() {
    while (!sessions_.empty()) close_session(sessions_.begin(), UdpCloseReason::shutdown);
    idle_timer_.cancel();
    idle_timer_armed_ = false;
}

void UdpSessionTable::set_limits(UdpSessionLimits limits) {
    limits_ = limits;
    if (limits_.max_sessions == 0) limits_.max_sessions = 1;
    while (sessions_.size() > limits_.max_sessions) {
        log_eviction(sessions_.back().key);
        ++counters_.sessions_evicted;
        close_session(std::prev(sessions_.end()), UdpCloseReason::evicted);
    }
    // The armed timer may be later than the new deadline: arm again.
    idle_timer_.cancel();
    idle_timer_armed_ = false;
    arm_idle_timer();
}

void UdpSessionTable::arm_idle_timer() {
    // The tail is the least recently active session and so the first to expire. Its
    // deadline only moves later, so an armed timer is never late: when it fires, expire_idle
    // re-arms for the new tail.
    if (idle_timer_armed_ || sessions_.empty()) return;
    idle_timer_armed_ = true;
    idle_timer_.expires_at(sessions_.back().last_active + limits_.idle_timeout);
    const std::weak_ptr<bool> alive = alive_;
    idle_timer_.async_wait([this, alive](const boost::system::error_code& error) {
        const auto token = alive.lock();
        if (!token || !*token || error == boost::asio::error::operation_aborted) return;
        idle_timer_armed_ = false;
        expire_idle();
    });
}

void UdpSessionTable::expire_idle() {
    const auto now = std::chrono::steady_clock::now();
    while (!sessions_.empty() && sessions_.back().last_active + limits_.idle_timeout <= now) {
        close_session(std::prev(sessions_.end()), UdpCloseReason::idle);
    }
    arm_idle_timer();
}

void UdpSessionTable::log_eviction(const FlowKey& key) {
    const auto skipped = eviction_log_.admit();
    if (!skipped) return;
    spdlog::warn(
        "udp: {} sessions (the cap): closing least recently used {} -> {}{}", sessions_.size(),
        key.source.to_string(), key.destination.to_string(),
        *skipped == 0 ? std::string() : " (" + std::to_string(*skipped) + " more since last line)");
}

}  // namespace shunt::netstack
