// Domain patterns as users write them in fake_ip_filter and nameserver_policy:
//   "example.com"   exactly that name
//   "+.example.com" the name and every name below it
//   ".example.com"  every name strictly below it
//   "time.*.com"    '*' stands for exactly one label, in any position
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace shunt {

struct DomainPattern {
    enum class Kind { exact, suffix_and_self, strict_suffix, wildcard };
    Kind kind = Kind::exact;
    std::string text;  // normalised name or suffix, without "+." / "."; labels for wildcard

    // nullopt with `error` set when the pattern is malformed.
    static std::optional<DomainPattern> parse(std::string_view text, std::string* error);
    bool matches(std::string_view normalized_name) const;
    friend bool operator==(const DomainPattern&, const DomainPattern&) = default;
};

// Labels in a normalised name ("a.b.c" has 3).
std::size_t label_count(std::string_view name);

// A set of patterns with sub-linear matching for the exact and suffix kinds: a name is
// checked by walking its label boundaries against hash sets. Wildcards, rare in
// practice, are matched one by one.
class DomainPatternSet {
  public:
    void add(const DomainPattern& pattern);
    bool matches(std::string_view normalized_name) const;
    bool empty() const { return size_ == 0; }
    std::size_t size() const { return size_; }

  private:
    // Transparent hashing: lookups by string_view, no temporary string per probe.
    struct NameHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    using NameSet = std::unordered_set<std::string, NameHash, std::equal_to<>>;

    NameSet exact_;
    NameSet suffix_and_self_;
    NameSet strict_suffix_;
    std::vector<std::pair<std::size_t, DomainPattern>> wildcards_;  // with their label count
    std::size_t size_ = 0;
};

}  // namespace shunt
