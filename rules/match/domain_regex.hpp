// DomainRegex: one DOMAIN-REGEX rule, compiled once and matched against (lower-case)
// domain names with Clash's semantics: a search (unanchored unless the pattern anchors),
// case-sensitive, `^`/`$` at the ends of the name only (Go's regexp without (?m)).
//
// Why not just a regex: the realistic rule list spends most of its time in the two regex
// rules, and almost every domain cannot match them. At compile time a small, conservative
// analyzer of the pattern derives a literal prefilter — substrings any match must contain
// ("tracker" or "telemetry"), and for anchored patterns the possible prefixes/suffixes of
// the name. A domain that fails the prefilter is rejected with a few memcmp/find calls;
// only the rest runs the regex engine (RE2: Go's syntax, as Clash's rules are written, and
// time linear in the name for any pattern; the same engine validates the rule when it is
// parsed). When the analyzer meets anything it does not fully understand (inline flags,
// Unicode classes, ...) there is no prefilter: correctness first.
//
// Copies share the compiled program; const matching is thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
}

namespace shunt::rules {

// Literal conditions a domain must meet before the regex is worth running. Every
// non-empty list is a requirement; an empty list requires nothing.
struct RegexPrefilter {
    std::vector<std::string> prefixes;  // the name starts with one of these
    std::vector<std::string> suffixes;  // the name ends with one of these
    // Each inner list: the name contains at least one of these (all lists must hold).
    std::vector<std::vector<std::string>> contains_any;

    bool empty() const { return prefixes.empty() && suffixes.empty() && contains_any.empty(); }
    bool passes(std::string_view name) const;
    // E.g. `prefix(ad) contains(tracker|telemetry)`; "none" when empty. For tests and logs.
    std::string describe() const;
};

// The analyzer on its own: the prefilter for `pattern`, or an empty one when the pattern
// uses anything the analyzer does not understand. Assumes the engine accepted the pattern.
RegexPrefilter analyze_regex_literals(std::string_view pattern);

class DomainRegex {
  public:
    // A compiled pattern's program may take at most this much memory (RE2's default is
    // 8 MiB); a larger one is refused like a syntax error.
    static constexpr std::int64_t kMaxProgramBytes = 1 << 20;

    // Nullopt (and a readable reason in `error`, when given) for patterns the engine rejects.
    static std::optional<DomainRegex> compile(std::string_view pattern,
                                              std::string* error = nullptr);

    // True when the pattern matches somewhere in `domain`.
    bool matches(std::string_view domain) const;
    // The regex alone, without the prefilter: the reference the prefilter is tested against.
    bool matches_without_prefilter(std::string_view domain) const;
    // False when the prefilter proves `domain` cannot match.
    bool passes_prefilter(std::string_view domain) const { return prefilter_.passes(domain); }

    const std::string& pattern() const { return pattern_; }
    const RegexPrefilter& prefilter() const { return prefilter_; }

  private:
    DomainRegex() = default;

    std::string pattern_;
    // Shared and immutable (RE2 is thread-safe for matching): copies are cheap, and re2.h
    // stays out of this header.
    std::shared_ptr<const re2::RE2> regex_;
    RegexPrefilter prefilter_;
};

}  // namespace shunt::rules
