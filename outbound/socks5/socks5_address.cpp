#include "outbound/socks5/socks5_address.hpp"

#include "outbound/address_codec.hpp"

namespace shunt::outbound {

std::string Socks5Address::to_string() const {
    if (is_domain()) return domain + ":" + std::to_string(port);
    return Endpoint{address, port}.to_string();
}

// The encoding itself is outbound/address_codec's (mux uses the same): SOCKS5 only adds
// its own view of an address (a domain or an address, never "none").
bool append_socks5_address(const Socks5Address& address, std::vector<std::uint8_t>& out) {
    if (address.is_domain() && address.domain.size() > kSocks5MaxDomainLength) return false;
    WireAddress wire;
    if (address.is_domain())
        wire.domain = address.domain;
    else
        wire.ip = address.address;
    wire.port = address.port;
    append_address(out, wire);
    return true;
}

std::optional<std::size_t> socks5_address_body_size(std::uint8_t atyp, std::uint8_t first_byte) {
    switch (static_cast<Socks5AddressType>(atyp)) {
        case Socks5AddressType::ipv4:
            return 4 + 2;
        case Socks5AddressType::ipv6:
            return 16 + 2;
        case Socks5AddressType::domain:
            return 1 + std::size_t{first_byte} + 2;
    }
    return std::nullopt;
}

std::optional<Socks5AddressDecode> decode_socks5_address(std::span<const std::uint8_t> bytes) {
    WireAddress wire;
    std::string error;
    const std::size_t used = parse_address(bytes, wire, error);
    if (used == 0) return std::nullopt;
    Socks5AddressDecode decoded;
    decoded.consumed = used;
    decoded.address.domain = std::move(wire.domain);
    if (wire.ip) decoded.address.address = *wire.ip;
    decoded.address.port = wire.port;
    return decoded;
}

}  // namespace shunt::outbound
