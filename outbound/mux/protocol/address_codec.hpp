// The mux frames carry addresses in the SOCKS5 encoding; the codec lives one level up
// (outbound/address_codec.hpp) so that other protocols share it. These names make it
// part of the mux protocol's vocabulary without a second implementation.
#pragma once

#include "outbound/address_codec.hpp"

namespace shunt::outbound::mux {

using outbound::append_address;
using outbound::kMaxWireAddressSize;
using outbound::kMinWireAddressSize;
using outbound::parse_address;
using outbound::wire_address_size;

}  // namespace shunt::outbound::mux
