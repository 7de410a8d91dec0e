#include "rules/match/regex_syntax.hpp"

#include <bitset>
#include <cctype>

namespace shunt::rules {
namespace {

using Node = RegexNode;

// Parses RE2's (Perl-like) syntax, but returns nullopt for anything outside a conservative subset:
// lookarounds, inline flags, named groups, backreferences, \Q..\E, Unicode properties,
// escapes of letters with meanings beyond \d\w\s\b\A\z, POSIX classes, possessive
// quantifiers, stray '{' '}' ']'. Unknown means "no prefilter", never a wrong one.
class PatternParser {
  public:
    explicit PatternParser(std::string_view p) : p_(p) {}

    std::optional<Node> parse() {
        auto root = alternation(0);
        if (!root || pos_ != p_.size()) return std::nullopt;
        return root;
    }

  private:
    static constexpr int kMaxDepth = 32;
    // A class with at most this many members becomes a literal set (`ad[sx]`).
    static constexpr std::size_t kMaxClassLiterals = 4;

    bool at_end() const { return pos_ >= p_.size(); }
    char peek() const { return p_[pos_]; }

    std::optional<Node> alternation(int depth) {
        if (depth > kMaxDepth) return std::nullopt;
        Node alt{Node::Kind::alternate};
        while (true) {
            auto seq = sequence(depth);
            if (!seq) return std::nullopt;
            alt.children.push_back(std::move(*seq));
            if (at_end() || peek() != '|') break;
            ++pos_;
        }
        if (alt.children.size() == 1) return std::move(alt.children.front());
        return alt;
    }

    std::optional<Node> sequence(int depth) {
        Node seq{Node::Kind::concat};
        while (!at_end() && peek() != '|' && peek() != ')') {
            auto item = atom(depth);
            if (!item) return std::nullopt;
            if (!quantify(*item)) return std::nullopt;
            seq.children.push_back(std::move(*item));
        }
        return seq;
    }

    std::optional<Node> atom(int depth) {
        const char c = p_[pos_++];
        switch (c) {
            case '.':
                return Node{Node::Kind::any_char};
            case '^':
                return Node{Node::Kind::begin};
            case '$':
                return Node{Node::Kind::end};
            case '[':
                return char_class();
            case '\\':
                return escape();
            case '(': {
                if (!at_end() && peek() == '?') {
                    // Only the plain non-capturing group; (?= (?! (?<= (?i) (?P<..> ... bail.
                    if (pos_ + 1 >= p_.size() || p_[pos_ + 1] != ':') return std::nullopt;
                    pos_ += 2;
                }
                auto inner = alternation(depth + 1);
                if (!inner || at_end() || peek() != ')') return std::nullopt;
                ++pos_;
                return inner;
            }
            case '*':
            case '+':
            case '?':
            case '{':
            case '}':
            case ']':
            case ')':
            case '|':
                return std::nullopt;
            default:
                return Node{Node::Kind::literal, std::string(1, c)};
        }
    }

    std::optional<Node> escape() {
        if (at_end()) return std::nullopt;
        const auto c = static_cast<unsigned char>(p_[pos_++]);
        switch (c) {
            case 'd':
            case 'D':
            case 'w':
            case 'W':
            case 's':
            case 'S':
                return Node{Node::Kind::any_char};
            case 'b':
            case 'B':
                return Node{Node::Kind::empty};
            case 'A':
                return Node{Node::Kind::begin};
            case 'z':
                return Node{Node::Kind::end};
            default:
                // Escaped punctuation is itself; escaped letters and digits mean something
                // else (\n, \x41, \1, \Z, \p{..}, ...) and non-ASCII is not ours to guess.
                if (c >= 0x80 || std::isalnum(c)) return std::nullopt;
                return Node{Node::Kind::literal, std::string(1, static_cast<char>(c))};
        }
    }

    std::optional<Node> char_class() {
        std::bitset<256> members;
        bool negated = false;
        if (!at_end() && peek() == '^') {
            negated = true;
            ++pos_;
        }
        bool first = true;
        bool has_shorthand = false;  // \d \w \s inside: a set, but not a small one
        while (true) {
            if (at_end()) return std::nullopt;
            char c = p_[pos_++];
            if (c == ']' && !first) break;
            first = false;
            if (c == '[' && !at_end() && (peek() == ':' || peek() == '=' || peek() == '.'))
                return std::nullopt;
            if (c == '\\') {
                if (at_end()) return std::nullopt;
                const auto e = static_cast<unsigned char>(p_[pos_++]);
                if (e == 'd' || e == 'w' || e == 's' || e == 'D' || e == 'W' || e == 'S') {
                    has_shorthand = true;
                    continue;
                }
                if (e >= 0x80 || std::isalnum(e)) return std::nullopt;
                c = static_cast<char>(e);
            }
            auto lo = static_cast<unsigned char>(c);
            auto hi = lo;
            if (pos_ + 1 < p_.size() && peek() == '-' && p_[pos_ + 1] != ']') {
                const auto h = static_cast<unsigned char>(p_[pos_ + 1]);
                if (h == '\\' || h == '[' || h < lo) return std::nullopt;
                hi = h;
                pos_ += 2;
            }
            for (unsigned b = lo; b <= hi; ++b) members.set(b);
        }
        if (negated || has_shorthand || members.count() > kMaxClassLiterals)
            return Node{Node::Kind::any_char};
        Node n{Node::Kind::literal};
        for (unsigned b = 0; b < 256; ++b)
            if (members.test(b)) n.chars.push_back(static_cast<char>(b));
        return n;
    }

    // Applies a quantifier following `item`, if any. False for syntax we do not handle.
    bool quantify(Node& item) {
        if (at_end()) return true;
        int min = 0, max = 0;
        switch (peek()) {
            case '*':
                min = 0, max = -1, ++pos_;
                break;
            case '+':
                min = 1, max = -1, ++pos_;
                break;
            case '?':
                min = 0, max = 1, ++pos_;
                break;
            case '{':
                if (!counted_range(min, max)) return false;
                break;
            default:
                return true;
        }
        if (!at_end() && peek() == '?') ++pos_;  // lazy: same strings, other preference
        if (!at_end() && (peek() == '+' || peek() == '*' || peek() == '?' || peek() == '{'))
            return false;  // possessive or stacked quantifiers
        if (item.kind == Node::Kind::begin || item.kind == Node::Kind::end) return false;
        Node repeat{Node::Kind::repeat};
        repeat.min = min;
        repeat.max = max;
        repeat.children.push_back(std::move(item));
        item = std::move(repeat);
        return true;
    }

    bool counted_range(int& min, int& max) {
        std::size_t i = pos_ + 1;
        auto number = [&](int& out) {
            const std::size_t start = i;
            out = 0;
            while (i < p_.size() && std::isdigit(static_cast<unsigned char>(p_[i])) &&
                   i - start < 4)
                out = out * 10 + (p_[i++] - '0');
            return i > start;
        };
        if (!number(min)) return false;
        max = min;
        if (i < p_.size() && p_[i] == ',') {
            ++i;
            if (!number(max)) max = -1;
        }
        if (i >= p_.size() || p_[i] != '}' || (max >= 0 && max < min)) return false;
        pos_ = i + 1;
        return true;
    }

    std::string_view p_;
    std::size_t pos_ = 0;
};

}  // namespace

std::optional<RegexNode> parse_regex_subset(std::string_view pattern) {
    // The engine reads UTF-8: a byte above 0x7f belongs to a character of several bytes,
    // which a quantifier or a class takes whole, while this parser sees bytes ("é?" would
    // become a required first byte). Such patterns get no prefilter.
    for (char c : pattern)
        if (static_cast<unsigned char>(c) >= 0x80) return std::nullopt;
    return PatternParser(pattern).parse();
}

}  // namespace shunt::rules
