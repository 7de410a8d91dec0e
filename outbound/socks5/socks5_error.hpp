// Why a SOCKS5 handshake failed, as an error_code of its own category so callers can tell
// an authentication failure from a refused target without parsing the reason text.
// Timeouts are boost::asio::error::timed_out; a refused or unreachable proxy keeps the
// dialer's error.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include <boost/system/error_code.hpp>

namespace shunt::outbound {

enum class Socks5Errc : int {
    no_acceptable_method = 1,  // method reply 0xFF
    authentication_failed,     // RFC 1929 status != 0
    malformed_reply,           // bad version, bad ATYP, truncated
    proxy_closed,              // EOF before the first byte of a reply
    invalid_request,           // a domain, username or password longer than 255 bytes
    // Reply codes 1..8 are reply_base + code; reply_unassigned is any other nonzero code.
    reply_base = 100,
    reply_unassigned = 199,
};

const boost::system::error_category& socks5_category();
boost::system::error_code make_error_code(Socks5Errc errc);
// The error for a nonzero REP field.
boost::system::error_code socks5_reply_error(std::uint8_t reply);
// RFC 1928 section 6 names: 5 -> "connection refused"; "unassigned" beyond 8.
std::string_view socks5_reply_name(std::uint8_t reply);
// "reply 5 (connection refused)".
std::string socks5_reply_reason(std::uint8_t reply);

}  // namespace shunt::outbound

namespace boost::system {
template <>
struct is_error_code_enum<shunt::outbound::Socks5Errc> : std::true_type {};
}  // namespace boost::system
