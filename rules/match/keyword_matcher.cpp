#include "rules/match/keyword_matcher.hpp"

#include <algorithm>
#include <stdexcept>

namespace shunt::rules {
namespace {

constexpr std::uint32_t kNoValue = UINT32_MAX;
constexpr std::uint32_t kAbsent = UINT32_MAX;  // no trie edge yet (build time only)

}  // namespace

std::optional<std::uint32_t> KeywordMatcher::match(std::string_view name) const noexcept {
    if (empty()) return std::nullopt;
    const std::uint32_t* rows = rows_.data();
    const std::size_t output_column = class_count_;
    std::uint32_t row = 0;
    std::uint32_t best = kNoValue;
    for (unsigned char byte : name) {
        row = rows[row + byte_class_[byte]];
        best = std::min(best, rows[row + output_column]);
        if (best == lowest_value_) break;
    }
    if (best == kNoValue) return std::nullopt;
    return best;
}

std::size_t KeywordMatcher::memory_bytes() const noexcept {
    return rows_.capacity() * sizeof(std::uint32_t) + sizeof(byte_class_);
}

void KeywordMatcherBuilder::add(std::string_view keyword, std::uint32_t value) {
    if (keyword.empty()) throw std::invalid_argument("empty domain keyword");
    if (value > KeywordMatcher::kMaxValue)
        throw std::invalid_argument("domain keyword value out of range");
    keywords_.emplace_back(std::string(keyword), value);
}

KeywordMatcher KeywordMatcherBuilder::build() {
    KeywordMatcher m;

    std::array<bool, 256> used{};
    for (const auto& [keyword, value] : keywords_)
        for (unsigned char byte : keyword) used[byte] = true;
    std::uint16_t next_class = 1;
    for (std::size_t byte = 0; byte < 256; ++byte)
        if (used[byte]) m.byte_class_[byte] = next_class++;
    const std::size_t classes = next_class;
    const std::size_t width = classes + 1;  // transitions plus the output column
    m.class_count_ = classes;

    // Trie over classes; edges hold state numbers while building.
    std::vector<std::uint32_t> rows(width, kAbsent);
    rows[classes] = kNoValue;
    auto state_count = [&] { return rows.size() / width; };
    for (const auto& [keyword, value] : keywords_) {
        std::size_t state = 0;
        for (unsigned char byte : keyword) {
            std::uint32_t& edge = rows[state * width + m.byte_class_[byte]];
            if (edge == kAbsent) {
                if ((state_count() + 1) * width > UINT32_MAX)
                    throw std::length_error("keyword automaton too large");
                edge = static_cast<std::uint32_t>(state_count());
                rows.resize(rows.size() + width, kAbsent);
                rows[rows.size() - 1] = kNoValue;
            }
            state = rows[state * width + m.byte_class_[byte]];
        }
        std::uint32_t& output = rows[state * width + classes];
        output = std::min(output, value);
        m.lowest_value_ = std::min(m.lowest_value_, value);
    }

    // Breadth-first: a state's failure target is shallower, so it is complete (edges and
    // output) before the state itself is visited. Missing edges become the failure target's.
    std::vector<std::uint32_t> fail(state_count(), 0);
    std::vector<std::uint32_t> queue;
    queue.reserve(state_count());
    for (std::size_t c = 0; c < classes; ++c) {
        std::uint32_t& edge = rows[c];
        if (edge == kAbsent) {
            edge = 0;
        } else {
            fail[edge] = 0;
            queue.push_back(edge);
        }
    }
    for (std::size_t head = 0; head < queue.size(); ++head) {
        const std::uint32_t state = queue[head];
        const std::size_t base = state * width;
        const std::size_t fail_base = fail[state] * width;
        rows[base + classes] = std::min(rows[base + classes], rows[fail_base + classes]);
        for (std::size_t c = 0; c < classes; ++c) {
            std::uint32_t& edge = rows[base + c];
            if (edge == kAbsent) {
                edge = rows[fail_base + c];
            } else {
                fail[edge] = rows[fail_base + c];
                queue.push_back(edge);
            }
        }
    }

    // Edges become row offsets so a step is a single load.
    for (std::size_t state = 0; state < state_count(); ++state)
        for (std::size_t c = 0; c < classes; ++c)
            rows[state * width + c] *= static_cast<std::uint32_t>(width);
    m.rows_ = std::move(rows);
    m.rows_.shrink_to_fit();

    keywords_.clear();
    keywords_.shrink_to_fit();
    return m;
}

}  // namespace shunt::rules
