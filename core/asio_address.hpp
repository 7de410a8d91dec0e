// The one bridge from shunt's address type to Asio's, for the code that opens sockets
// (the rest of shunt stays free of Asio headers).
#pragma once

#include <boost/asio/ip/address.hpp>

#include "core/ip_address.hpp"

namespace shunt {

inline boost::asio::ip::address to_asio_address(const IpAddress& address) {
    if (address.is_v4()) return boost::asio::ip::address_v4(address.v4());
    return boost::asio::ip::address_v6(address.bytes());
}

}  // namespace shunt
