#include "outbound/address_codec.hpp"

#include <array>
#include <cassert>
#include <cstring>

#include "net/byte_order.hpp"

namespace shunt::outbound {

std::size_t wire_address_size(const HostPort& address) {
    if (address.is_domain()) return 1 + 1 + address.domain.size() + 2;
    return address.address && address.address->is_v4() ? 1 + 4 + 2 : 1 + 16 + 2;
}

void append_address(std::vector<std::uint8_t>& out, const HostPort& address) {
    assert(address.is_domain() || address.address);
    if (address.is_domain()) {
        assert(address.domain.size() <= kMaxWireDomain);
        out.push_back(static_cast<std::uint8_t>(AddressType::domain));
        out.push_back(static_cast<std::uint8_t>(address.domain.size()));
        out.insert(out.end(), address.domain.begin(), address.domain.end());
    } else if (address.address->is_v4()) {
        out.push_back(static_cast<std::uint8_t>(AddressType::ipv4));
        out.insert(out.end(), address.address->bytes().begin(),
                   address.address->bytes().begin() + 4);
    } else {
        out.push_back(static_cast<std::uint8_t>(AddressType::ipv6));
        out.insert(out.end(), address.address->bytes().begin(), address.address->bytes().end());
    }
    out.push_back(static_cast<std::uint8_t>(address.port >> 8));
    out.push_back(static_cast<std::uint8_t>(address.port & 0xff));
}

std::size_t parse_address(std::span<const std::uint8_t> in, HostPort& out, std::string& error) {
    if (in.empty()) {
        error = "address truncated (no type)";
        return 0;
    }
    // Size of everything after the atyp byte, known once the atyp (and a domain's length
    // byte) has been read; checked against the input before any field is touched.
    std::size_t body = 0;
    switch (in[0]) {
        case static_cast<std::uint8_t>(AddressType::ipv4):
            body = 4 + 2;
            break;
        case static_cast<std::uint8_t>(AddressType::ipv6):
            body = 16 + 2;
            break;
        case static_cast<std::uint8_t>(AddressType::domain):
            if (in.size() < 2) {
                error = "address truncated (no domain length)";
                return 0;
            }
            if (in[1] == 0) {
                error = "empty domain in address";
                return 0;
            }
            body = 1 + std::size_t{in[1]} + 2;
            break;
        default:
            error = "unknown address type " + std::to_string(in[0]);
            return 0;
    }
    if (in.size() < 1 + body) {
        error = "address truncated";
        return 0;
    }
    const std::uint8_t* field = in.data() + 1;
    out.domain.clear();
    out.address.reset();
    switch (static_cast<AddressType>(in[0])) {
        case AddressType::ipv4:
            out.address = IpAddress::from_v4(read_u32(field));
            field += 4;
            break;
        case AddressType::ipv6: {
            std::array<std::uint8_t, 16> v6{};
            std::memcpy(v6.data(), field, v6.size());
            out.address = IpAddress::from_v6(v6);
            field += 16;
            break;
        }
        case AddressType::domain:
            out.domain.assign(reinterpret_cast<const char*>(field + 1), field[0]);
            field += 1 + field[0];
            break;
    }
    out.port = read_u16(field);
    return 1 + body;
}

}  // namespace shunt::outbound
