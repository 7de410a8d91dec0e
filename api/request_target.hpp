// RequestTarget: an HTTP request target ("/proxies/%E6%97%A5%E6%9C%AC?url=...") taken
// apart the way docs/api.md §1.1 says: the path split at '/' on the raw text, then each
// segment percent-decoded once (so "%2F" inside a proxy name stays part of the name), and
// the query's parameters decoded as HTML forms encode them ('+' is a space). Text that is
// not valid percent-encoding is an error, never guessed at.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shunt::api {

struct RequestTarget {
    std::vector<std::string> segments;  // "/a/b%20c/" -> {"a", "b c", ""}; "/" -> {""}
    std::vector<std::pair<std::string, std::string>> query;  // in order, repeats kept

    // The first value of `name`, if the query has it.
    std::optional<std::string> parameter(std::string_view name) const;
    // nullopt when the target does not start with '/' or holds a bad %-escape.
    static std::optional<RequestTarget> parse(std::string_view target);
};

// Decodes %XX escapes (and '+' as a space when `plus_is_space`); nullopt on a '%' not
// followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

}  // namespace shunt::api
