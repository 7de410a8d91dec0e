#include "outbound/socks5/socks5_udp_header.hpp"

namespace shunt::outbound {

bool append_socks5_udp_header(const HostPort& address, std::vector<std::uint8_t>& out) {
    const std::size_t before = out.size();
    out.insert(out.end(), {0, 0, 0});  // RSV, FRAG = 0 (a whole datagram)
    if (!append_socks5_address(address, out)) {
        out.resize(before);
        return false;
    }
    return true;
}

Socks5UdpDatagram decode_socks5_udp_datagram(std::span<const std::uint8_t> datagram) {
    Socks5UdpDatagram result;
    if (datagram.size() < 3 || datagram[0] != 0 || datagram[1] != 0) return result;
    if (datagram[2] != 0) {
        result.status = Socks5UdpDecodeStatus::fragment;
        return result;
    }
    const auto address = decode_socks5_address(datagram.subspan(3));
    if (!address) return result;
    result.status = Socks5UdpDecodeStatus::ok;
    result.address = address->address;
    result.payload = datagram.subspan(3 + address->consumed);
    return result;
}

}  // namespace shunt::outbound
