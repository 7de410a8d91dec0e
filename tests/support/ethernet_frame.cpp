#include "tests/support/ethernet_frame.hpp"

#include <algorithm>

#include "net/ip_address.hpp"

namespace shunt::test {

namespace {

IpAddress ip(const std::string& text) {
    return IpAddress::parse(text).value();
}

}  // namespace

std::vector<std::uint8_t> Frame::bytes() const {
    std::vector<std::uint8_t> f(12, 0x02);  // MACs
    auto put16 = [&f](std::uint16_t v) {
        f.push_back(static_cast<std::uint8_t>(v >> 8));
        f.push_back(static_cast<std::uint8_t>(v));
    };
    const IpAddress src = ip(source);
    const IpAddress dst = ip(destination);
    const std::uint16_t ethertype = dst.is_v4() ? 0x0800 : 0x86dd;
    for (std::size_t i = 0; i < vlan_tpids.size(); ++i) {
        put16(vlan_tpids[i]);
        put16(static_cast<std::uint16_t>(100 + i));  // TCI: the VLAN id
    }
    put16(ethertype);
    std::vector<std::uint8_t> l4;
    if (protocol == 6) {
        l4.assign(20, 0);
        l4[12] = 0x50;
        l4[13] = syn ? 0x02 : 0x10;  // SYN, or ACK
    } else {
        l4.assign(8, 0);
        l4[5] = 8;
    }
    l4[0] = static_cast<std::uint8_t>(source_port >> 8);
    l4[1] = static_cast<std::uint8_t>(source_port);
    l4[2] = static_cast<std::uint8_t>(destination_port >> 8);
    l4[3] = static_cast<std::uint8_t>(destination_port);
    if (dst.is_v4()) {
        std::vector<std::uint8_t> h(20, 0);
        h[0] = 0x45;
        const auto total = static_cast<std::uint16_t>(20 + l4.size());
        h[2] = static_cast<std::uint8_t>(total >> 8);
        h[3] = static_cast<std::uint8_t>(total);
        h[6] = static_cast<std::uint8_t>(fragment >> 8);
        h[7] = static_cast<std::uint8_t>(fragment);
        h[8] = 64;
        h[9] = protocol;
        std::copy_n(src.bytes().begin(), 4, h.begin() + 12);
        std::copy_n(dst.bytes().begin(), 4, h.begin() + 16);
        f.insert(f.end(), h.begin(), h.end());
    } else {
        std::vector<std::uint8_t> ext;
        for (std::size_t i = 0; i < ext6.size(); ++i) {
            const std::uint8_t next = i + 1 < ext6.size() ? ext6[i + 1] : protocol;
            std::vector<std::uint8_t> e(8, 0);
            e[0] = next;  // hdr ext len 0: 8 bytes (AH would read it as 16; not used)
            ext.insert(ext.end(), e.begin(), e.end());
        }
        std::vector<std::uint8_t> h(40, 0);
        h[0] = 0x60;
        const auto payload = static_cast<std::uint16_t>(ext.size() + l4.size());
        h[4] = static_cast<std::uint8_t>(payload >> 8);
        h[5] = static_cast<std::uint8_t>(payload);
        h[6] = ext6.empty() ? protocol : ext6.front();
        h[7] = 64;
        std::copy_n(src.bytes().begin(), 16, h.begin() + 8);
        std::copy_n(dst.bytes().begin(), 16, h.begin() + 24);
        f.insert(f.end(), h.begin(), h.end());
        f.insert(f.end(), ext.begin(), ext.end());
    }
    f.insert(f.end(), l4.begin(), l4.end());
    f.resize(f.size() - std::min(cut, f.size() - 14));
    return f;
}

}  // namespace shunt::test
