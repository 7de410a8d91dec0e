// How a DoH server's HTTP response to one query is judged (RFC 8484 §4.2.1), apart from
// the connection handling in doh_upstream.cpp so that the judgement can be tested and
// fuzzed without HTTP or TLS.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include <boost/system/error_code.hpp>

namespace shunt::dns {

// The media type of DNS messages over HTTP, both ways.
inline constexpr std::string_view kDnsMessageType = "application/dns-message";

// True for "application/dns-message", in any case, alone or followed by parameters
// ("; charset=...") or a space.
bool is_dns_message_type(std::string_view content_type);

// Empty when `body` is the DNS answer to `query` (the query as sent, with id 0): status
// 200, a DNS message content type, and a body that message::check_answer accepts.
// Otherwise the reason, checked in that order: http_status_error(status),
// UpstreamErrc::bad_content_type, answer_mismatch or malformed_answer.
boost::system::error_code judge_doh_response(unsigned status, std::string_view content_type,
                                             std::span<const std::uint8_t> query,
                                             std::span<const std::uint8_t> body);

}  // namespace shunt::dns
