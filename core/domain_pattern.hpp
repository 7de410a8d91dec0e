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
};

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
    std::unordered_set<std::string> exact_;
    std::unordered_set<std::string> suffix_and_self_;
    std::unordered_set<std::string> strict_suffix_;
    std::vector<DomainPattern> wildcards_;
    std::size_t size_ = 0;
};

}  // namespace shunt
