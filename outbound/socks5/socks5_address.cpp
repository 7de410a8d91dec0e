#include "outbound/socks5/socks5_address.hpp"

#include "outbound/address_codec.hpp"

namespace shunt::outbound {

// The encoding itself is outbound/address_codec's (mux uses the same). SOCKS5 always
// sends an address: one that has none is the unspecified 0.0.0.0 (UDP ASSOCIATE's "from
// anywhere").
bool append_socks5_address(const HostPort& address, std::vector<std::uint8_t>& out) {
    if (address.is_domain() && address.domain.size() > kSocks5MaxDomainLength) return false;
    if (address.is_domain() || address.address) {
        append_address(out, address);
    } else {
        append_address(out, HostPort{{}, IpAddress{}, address.port});
    }
    return true;
}

std::optional<std::size_t> socks5_address_body_size(std::uint8_t atyp, std::uint8_t first_byte) {
    switch (static_cast<AddressType>(atyp)) {
        case AddressType::ipv4:
            return 4 + 2;
        case AddressType::ipv6:
            return 16 + 2;
        case AddressType::domain:
            return 1 + std::size_t{first_byte} + 2;
    }
    return std::nullopt;
}

std::optional<Socks5AddressDecode> decode_socks5_address(std::span<const std::uint8_t> bytes) {
    HostPort wire;
    std::string error;
    const std::size_t used = parse_address(bytes, wire, error);
    if (used == 0) return std::nullopt;
    return Socks5AddressDecode{std::move(wire), used};
}

}  // namespace shunt::outbound
