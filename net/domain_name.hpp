// Domain names as shunt stores and compares them: ASCII lower case, no trailing dot.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace shunt {

// Longest name in presentation form without the trailing dot (RFC 1035: 255 octets on
// the wire, which is 253 characters of text).
inline constexpr std::size_t kMaxDomainTextLength = 253;
inline constexpr std::size_t kMaxLabelLength = 63;

// Lower-cases and strips one trailing dot. Rejects empty labels, labels over 63
// characters, names over 253 characters and bytes that cannot appear in a host name
// on the wire we accept (controls, spaces, dots inside labels are impossible).
std::optional<std::string> normalize_domain(std::string_view name);

// True when `name` equals `suffix` or ends with "." + suffix (both normalised).
bool domain_has_suffix(std::string_view name, std::string_view suffix);

}  // namespace shunt
