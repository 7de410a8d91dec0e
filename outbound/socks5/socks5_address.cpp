#include "outbound/socks5/socks5_address.hpp"

#include <array>
#include <cstring>

namespace shunt::outbound {

std::string Socks5Address::to_string() const {
    if (is_domain()) return domain + ":" + std::to_string(port);
    return Endpoint{address, port}.to_string();
}

bool append_socks5_address(const Socks5Address& address, std::vector<std::uint8_t>& out) {
    if (address.is_domain()) {
        if (address.domain.size() > kSocks5MaxDomainLength) return false;
        out.push_back(static_cast<std::uint8_t>(Socks5AddressType::domain));
        out.push_back(static_cast<std::uint8_t>(address.domain.size()));
        out.insert(out.end(), address.domain.begin(), address.domain.end());
    } else if (address.address.is_v4()) {
        out.push_back(static_cast<std::uint8_t>(Socks5AddressType::ipv4));
        out.insert(out.end(), address.address.bytes().begin(), address.address.bytes().begin() + 4);
    } else {
        out.push_back(static_cast<std::uint8_t>(Socks5AddressType::ipv6));
        out.insert(out.end(), address.address.bytes().begin(), address.address.bytes().end());
    }
    out.push_back(static_cast<std::uint8_t>(address.port >> 8));
    out.push_back(static_cast<std::uint8_t>(address.port & 0xff));
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
    if (bytes.size() < 2) return std::nullopt;
    const auto body = socks5_address_body_size(bytes[0], bytes[1]);
    if (!body || bytes.size() < 1 + *body) return std::nullopt;
    Socks5AddressDecode decoded;
    decoded.consumed = 1 + *body;
    const std::uint8_t* field = bytes.data() + 1;
    switch (static_cast<Socks5AddressType>(bytes[0])) {
        case Socks5AddressType::ipv4:
            decoded.address.address =
                IpAddress::from_v4(std::uint32_t{field[0]} << 24 | std::uint32_t{field[1]} << 16 |
                                   std::uint32_t{field[2]} << 8 | field[3]);
            field += 4;
            break;
        case Socks5AddressType::ipv6: {
            std::array<std::uint8_t, 16> v6{};
            std::memcpy(v6.data(), field, v6.size());
            decoded.address.address = IpAddress::from_v6(v6);
            field += 16;
            break;
        }
        case Socks5AddressType::domain:
            if (field[0] == 0) return std::nullopt;
            decoded.address.domain.assign(reinterpret_cast<const char*>(field + 1), field[0]);
            field += 1 + field[0];
            break;
    }
    decoded.address.port = static_cast<std::uint16_t>(field[0] << 8 | field[1]);
    return decoded;
}

}  // namespace shunt::outbound
