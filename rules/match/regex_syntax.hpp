// A syntax tree for the subset of regex syntax (RE2's, Go's) whose literal content the DOMAIN-REGEX
// prefilter can reason about (see domain_regex.hpp). The parser is deliberately narrow: for
// anything outside the subset it gives up, and the caller then uses no prefilter at all.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shunt::rules {

struct RegexNode {
    enum class Kind { literal, any_char, empty, begin, end, concat, alternate, repeat };
    explicit RegexNode(Kind k, std::string c = {}) : kind(k), chars(std::move(c)) {}

    Kind kind;
    std::string chars;  // literal: the byte(s) it may be, one of them per match
    std::vector<RegexNode> children;
    int min = 0, max = 0;  // repeat; max < 0 is unbounded
};

// The tree of `pattern`, or nullopt when it uses lookarounds, inline flags, named groups,
// backreferences, \Q..\E, Unicode properties, escapes of letters other than \d\w\s (and
// their negations) \b\B\A\z, POSIX classes, possessive quantifiers, or stray '{' '}' ']'.
// Character classes of at most four members become literals ([sx]); larger ones any_char.
// Patterns with a byte above 0x7f (a UTF-8 character) are not parsed.
std::optional<RegexNode> parse_regex_subset(std::string_view pattern);

}  // namespace shunt::rules
