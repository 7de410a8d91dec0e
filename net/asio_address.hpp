// The one bridge from shunt's address type to Asio's, for the code that opens sockets
// (the rest of shunt stays free of Asio headers).
#pragma once

#include <boost/asio/ip/address.hpp>

#include "net/ip_address.hpp"

namespace shunt {

inline boost::asio::ip::address to_asio_address(const IpAddress& address) {
    if (address.is_v4()) return boost::asio::ip::address_v4(address.v4());
    return boost::asio::ip::address_v6(address.bytes());
}

// v4-mapped IPv6 (::ffff:a.b.c.d, what a dual-stack socket reports) comes back as IPv4.
inline IpAddress from_asio_address(const boost::asio::ip::address& address) {
    if (address.is_v4()) return IpAddress::from_v4(address.to_v4().to_uint());
    const auto v6 = address.to_v6();
    if (v6.is_v4_mapped())
        return IpAddress::from_v4(
            boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_uint());
    return IpAddress::from_v6(v6.to_bytes());
}

}  // namespace shunt
