#include "net/ip_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace shunt {

namespace {

using u128 = unsigned __int128;

bool parse_uint(std::string_view text, unsigned max, unsigned& out) {
    if (text.empty() || text.size() > 5) return false;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && p == text.data() + text.size() && out <= max;
}

}  // namespace

bool IpAddress::is_loopback() const {
    const IpAddress plain = unmapped();
    if (plain.is_v4()) return (plain.v4() >> 24) == 127;
    static const IpAddress kLoopback6 = from_v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
    return plain == kLoopback6;
}

bool IpAddress::is_unspecified() const {
    for (std::uint8_t b : bytes_)
        if (b != 0) return false;
    return true;
}

IpAddress IpAddress::unmapped() const {
    if (!is_v6()) return *this;
    for (int i = 0; i < 10; ++i)
        if (bytes_[i] != 0) return *this;
    if (bytes_[10] != 0xff || bytes_[11] != 0xff) return *this;
    return from_v4((std::uint32_t{bytes_[12]} << 24) | (std::uint32_t{bytes_[13]} << 16) |
                   (std::uint32_t{bytes_[14]} << 8) | bytes_[15]);
}

IpAddress IpAddress::from_v4(std::uint32_t host_order) {
    IpAddress a;
    a.family_ = Family::v4;
    a.bytes_[0] = static_cast<std::uint8_t>(host_order >> 24);
    a.bytes_[1] = static_cast<std::uint8_t>(host_order >> 16);
    a.bytes_[2] = static_cast<std::uint8_t>(host_order >> 8);
    a.bytes_[3] = static_cast<std::uint8_t>(host_order);
    return a;
}

IpAddress IpAddress::from_v6(const std::array<std::uint8_t, 16>& bytes) {
    IpAddress a;
    a.family_ = Family::v6;
    a.bytes_ = bytes;
    return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
    char buf[INET6_ADDRSTRLEN];
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    if (text.find(':') == std::string_view::npos) {
        in_addr v4{};
        if (inet_pton(AF_INET, buf, &v4) != 1) return std::nullopt;
        return from_v4(ntohl(v4.s_addr));
    }
    in6_addr v6{};
    if (inet_pton(AF_INET6, buf, &v6) != 1) return std::nullopt;
    std::array<std::uint8_t, 16> bytes;
    std::memcpy(bytes.data(), &v6, 16);
    return from_v6(bytes);
}

u128 IpAddress::to_u128() const {
    u128 v = 0;
    for (auto byte : bytes_) v = (v << 8) | byte;
    return v;
}

IpAddress IpAddress::from_v6_u128(u128 v) {
    std::array<std::uint8_t, 16> b{};
    for (int i = 15; i >= 0; --i) {
        b[i] = static_cast<std::uint8_t>(v & 0xff);
        v >>= 8;
    }
    return from_v6(b);
}

std::uint32_t IpAddress::v4() const {
    if (!is_v4()) return 0;
    return (std::uint32_t{bytes_[0]} << 24) | (std::uint32_t{bytes_[1]} << 16) |
           (std::uint32_t{bytes_[2]} << 8) | bytes_[3];
}

std::string IpAddress::to_string() const {
    char buf[INET6_ADDRSTRLEN];
    if (is_v4()) return inet_ntop(AF_INET, bytes_.data(), buf, sizeof buf);
    return inet_ntop(AF_INET6, bytes_.data(), buf, sizeof buf);
}

Prefix::Prefix(IpAddress base, int length) : length_(length) {
    if (base.is_v4()) {
        std::uint32_t mask = length == 0 ? 0 : ~std::uint32_t{0} << (32 - length);
        base_ = IpAddress::from_v4(base.v4() & mask);
    } else {
        u128 mask = length == 0 ? 0 : ~u128{0} << (128 - length);
        base_ = IpAddress::from_v6_u128(base.to_u128() & mask);
    }
}

std::optional<Prefix> Prefix::parse(std::string_view text) {
    auto slash = text.find('/');
    auto address = IpAddress::parse(text.substr(0, slash));
    if (!address) return std::nullopt;
    unsigned max = address->is_v4() ? 32 : 128;
    unsigned length = max;
    if (slash != std::string_view::npos && !parse_uint(text.substr(slash + 1), max, length))
        return std::nullopt;
    return Prefix(*address, static_cast<int>(length));
}

bool Prefix::contains(const IpAddress& address) const {
    if (address.family() != base_.family()) return false;
    return Prefix(address, length_).base_ == base_;
}

std::uint64_t Prefix::size() const {
    int host_bits = (base_.is_v4() ? 32 : 128) - length_;
    if (host_bits >= 64) return ~std::uint64_t{0};
    return std::uint64_t{1} << host_bits;
}

IpAddress Prefix::at(std::uint64_t offset) const {
    if (base_.is_v4()) return IpAddress::from_v4(base_.v4() + static_cast<std::uint32_t>(offset));
    return IpAddress::from_v6_u128(base_.to_u128() + offset);
}

std::optional<std::uint64_t> Prefix::offset_of(const IpAddress& address) const {
    if (!contains(address)) return std::nullopt;
    if (address.is_v4()) return address.v4() - base_.v4();
    u128 delta = address.to_u128() - base_.to_u128();
    if (delta >> 64) return std::nullopt;
    return static_cast<std::uint64_t>(delta);
}

std::string Prefix::to_string() const {
    return base_.to_string() + "/" + std::to_string(length_);
}

std::optional<Endpoint> Endpoint::parse(std::string_view text, std::uint16_t default_port) {
    std::string_view host = text;
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = text.substr(1, close - 1);
        auto rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return std::nullopt;
            port_text = rest.substr(1);
            if (port_text.empty()) return std::nullopt;
        }
    } else if (std::count(text.begin(), text.end(), ':') == 1) {
        auto colon = text.find(':');
        host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
        if (port_text.empty()) return std::nullopt;
    }
    auto address = IpAddress::parse(host);
    if (!address) return std::nullopt;
    unsigned port = default_port;
    if (!port_text.empty() && !parse_uint(port_text, 65535, port)) return std::nullopt;
    if (port == 0) return std::nullopt;
    return Endpoint{*address, static_cast<std::uint16_t>(port)};
}

std::string Endpoint::to_string() const {
    if (address.is_v6()) return "[" + address.to_string() + "]:" + std::to_string(port);
    return address.to_string() + ":" + std::to_string(port);
}

}  // namespace shunt
