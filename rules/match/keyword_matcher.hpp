// KeywordMatcher: DOMAIN-KEYWORD rules compiled into one Aho-Corasick automaton, answering
// "lowest value whose keyword occurs anywhere in this name" in one pass over the name's bytes.
//
// Layout, and why:
//  - Bytes are first mapped to classes: every byte that occurs in some keyword gets its own
//    class, every other byte shares class 0. Domain keywords use ~40 distinct bytes, so a
//    dense transition row costs ~40 entries instead of 256, which keeps 1,000 keywords'
//    automaton (~6,000 states) around 1 MB and mostly cache resident.
//  - The automaton is a full DFA (failure links resolved at build time): a step is one table
//    load with no failure-link loop, so the cost per byte is constant and branch free.
//    Rows store the next state's row offset (state * row width) so a step needs no multiply.
//  - Each state's row ends with one extra entry: the state's output, so the step and the
//    output read share a cache line. The output is the lowest value among the keywords ending at
//    the state or at any state on its failure chain (folded in at build time), so overlapping
//    keywords ("he", "she", "hers") need no output lists.
//  The scan stops early once it has seen the lowest value in the whole matcher.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shunt::rules {

class KeywordMatcher {
  public:
    static constexpr std::uint32_t kMaxValue = UINT32_MAX - 1;

    KeywordMatcher() = default;  // Matches nothing.

    // Lowest value among keywords occurring as a substring of `name` (bytes compared as
    // they are: callers pass normalised, lower-case names and keywords).
    std::optional<std::uint32_t> match(std::string_view name) const noexcept;

    std::size_t state_count() const noexcept { return rows_.size() / (class_count_ + 1); }
    std::size_t class_count() const noexcept { return class_count_; }
    bool empty() const noexcept { return rows_.size() <= class_count_ + 1; }
    std::size_t memory_bytes() const noexcept;

  private:
    friend class KeywordMatcherBuilder;

    // uint16: when all 256 bytes occur in keywords there are 257 classes.
    std::array<std::uint16_t, 256> byte_class_{};
    std::size_t class_count_ = 1;
    // Row r (offset r * (classes + 1)): [class] -> next row offset; [classes] -> output
    // (lowest value ending in this state, UINT32_MAX for none).
    std::vector<std::uint32_t> rows_;
    std::uint32_t lowest_value_ = UINT32_MAX;
};

class KeywordMatcherBuilder {
  public:
    // Throws std::invalid_argument for an empty keyword or a value above kMaxValue.
    void add(std::string_view keyword, std::uint32_t value);
    std::size_t size() const noexcept { return keywords_.size(); }
    // Leaves the builder empty.
    KeywordMatcher build();

  private:
    std::vector<std::pair<std::string, std::uint32_t>> keywords_;
};

}  // namespace shunt::rules
