#include "rules/match/domain_regex.hpp"

#include <algorithm>
#include <cstdint>

#include <re2/re2.h>

#include "rules/match/regex_syntax.hpp"

namespace shunt::rules {
namespace {

using Node = RegexNode;

// ---- Literal analysis ----------------------------------------------------------------------

// Bounds on what the analysis tracks: beyond them it forgets (which only weakens the filter).
constexpr std::size_t kMaxExactStrings = 16;
constexpr std::size_t kMaxStringLength = 64;

using Strings = std::vector<std::string>;
using Clauses = std::vector<Strings>;  // all of: any of

// What a node tells about the text it matches: either the exact (finite, small) set of
// strings it can match, or requirements on that text (each clause: contains one of).
struct Info {
    bool exact = false;
    Strings strings;
    Clauses clauses;

    static Info any() { return {}; }
    static Info of(Strings s) { return {true, std::move(s), {}}; }
};

void dedupe(Strings& s) {
    std::sort(s.begin(), s.end());
    s.erase(std::unique(s.begin(), s.end()), s.end());
}

// For an any-of list: a string containing another member is redundant (if it occurs, the
// other does too). Yields {""} when the empty string is a member: no requirement at all.
Strings drop_redundant(Strings s, bool (*implies)(std::string_view, std::string_view)) {
    dedupe(s);
    std::sort(s.begin(), s.end(), [](const auto& a, const auto& b) { return a.size() < b.size(); });
    Strings kept;
    for (auto& candidate : s) {
        const bool redundant = std::any_of(
            kept.begin(), kept.end(), [&](const std::string& k) { return implies(candidate, k); });
        if (!redundant) kept.push_back(std::move(candidate));
    }
    return kept;
}

bool contains(std::string_view s, std::string_view part) {
    return s.find(part) != s.npos;
}
bool starts_with(std::string_view s, std::string_view part) {
    return s.starts_with(part);
}
bool ends_with(std::string_view s, std::string_view part) {
    return s.ends_with(part);
}

std::optional<Strings> cross(const Strings& a, const Strings& b) {
    if (a.size() * b.size() > kMaxExactStrings) return std::nullopt;
    Strings out;
    for (const auto& x : a)
        for (const auto& y : b) {
            if (x.size() + y.size() > kMaxStringLength) return std::nullopt;
            out.push_back(x + y);
        }
    dedupe(out);
    return out;
}

Clauses to_clauses(const Info& info) {
    if (!info.exact) return info.clauses;
    Strings any_of = drop_redundant(info.strings, contains);
    if (any_of.empty() || any_of.front().empty()) return {};
    return {std::move(any_of)};
}

// A clause's worth: its shortest literal (longer literals are rarer in names).
std::size_t strength(const Strings& clause) {
    std::size_t shortest = SIZE_MAX;
    for (const auto& s : clause) shortest = std::min(shortest, s.size());
    return shortest;
}

Info analyze(const Node& n);

Info analyze_concat(const std::vector<Node>& items) {
    // Adjacent exact items fuse into one run ("tracker" from seven literals); a run ends at
    // an inexact item or when the product grows too large, and leaves a clause behind.
    Strings run{""};
    Clauses clauses;
    bool all_exact = true;
    auto flush = [&] {
        for (auto& c : to_clauses(Info::of(std::move(run)))) clauses.push_back(std::move(c));
        run = {""};
    };
    for (const Node& item : items) {
        Info info = analyze(item);
        if (!info.exact) {
            all_exact = false;
            flush();
            for (auto& c : info.clauses) clauses.push_back(std::move(c));
            continue;
        }
        if (auto joined = cross(run, info.strings)) {
            run = std::move(*joined);
        } else {
            all_exact = false;
            flush();
            run = std::move(info.strings);
        }
    }
    if (all_exact) return Info::of(std::move(run));
    flush();
    return {false, {}, std::move(clauses)};
}

Info analyze_alternate(const std::vector<Node>& branches) {
    Strings all;
    bool all_exact = true;
    Strings best_of_each;  // inexact: one clause per branch, OR-ed together
    for (const Node& branch : branches) {
        Info info = analyze(branch);
        if (info.exact && all_exact)
            all.insert(all.end(), info.strings.begin(), info.strings.end());
        all_exact = all_exact && info.exact;
        Clauses clauses = to_clauses(info);
        if (clauses.empty()) {  // this branch requires nothing, so neither does the whole
            if (!info.exact) return Info::any();
            best_of_each = {""};
            continue;
        }
        auto best = std::max_element(
            clauses.begin(), clauses.end(),
            [](const auto& a, const auto& b) { return strength(a) < strength(b); });
        best_of_each.insert(best_of_each.end(), best->begin(), best->end());
    }
    dedupe(all);
    if (all_exact && all.size() <= kMaxExactStrings) return Info::of(std::move(all));
    Strings any_of = drop_redundant(std::move(best_of_each), contains);
    if (any_of.empty() || any_of.front().empty() || any_of.size() > kMaxExactStrings)
        return Info::any();
    return {false, {}, {std::move(any_of)}};
}

Info analyze_repeat(const Node& n) {
    Info inner = analyze(n.children.front());
    if (n.min == 0) {
        // x? is x or nothing; x* and x{0,n} forget (nothing is required of them).
        if (n.max == 1 && inner.exact && inner.strings.size() < kMaxExactStrings) {
            inner.strings.push_back("");
            dedupe(inner.strings);
            return inner;
        }
        return Info::any();
    }
    if (!inner.exact) return inner;  // at least one copy: its requirements hold
    // The first `min` copies are contiguous: x{3} is exactly xxx, x{2,} contains xx.
    Strings run{""};
    for (int i = 0; i < n.min; ++i) {
        auto joined = cross(run, inner.strings);
        if (!joined) return {false, {}, to_clauses(inner)};
        run = std::move(*joined);
    }
    if (n.max == n.min) return Info::of(std::move(run));
    return {false, {}, to_clauses(Info::of(std::move(run)))};
}

Info analyze(const Node& n) {
    switch (n.kind) {
        case Node::Kind::literal: {
            Strings s;
            for (char c : n.chars) s.emplace_back(1, c);
            return Info::of(std::move(s));
        }
        case Node::Kind::any_char:
            return Info::any();
        case Node::Kind::empty:
        case Node::Kind::begin:
        case Node::Kind::end:
            return Info::of({""});  // zero width: adds nothing to the text
        case Node::Kind::concat:
            return analyze_concat(n.children);
        case Node::Kind::alternate:
            return analyze_alternate(n.children);
        case Node::Kind::repeat:
            return analyze_repeat(n);
    }
    return Info::any();
}

// Top-level `^` x y ...: every match starts with the product of the leading exact items
// (and symmetrically for `... y z $`). `^` inside a group or alternative is left alone.
Strings anchored_literals(const std::vector<Node>& items, bool at_start) {
    const std::size_t n = items.size();
    const auto& anchor = at_start ? items.front() : items.back();
    if (anchor.kind != (at_start ? Node::Kind::begin : Node::Kind::end)) return {};
    Strings run{""};
    for (std::size_t i = 1; i < n; ++i) {
        Info info = analyze(items[at_start ? i : n - 1 - i]);
        if (!info.exact) break;
        auto joined = at_start ? cross(run, info.strings) : cross(info.strings, run);
        if (!joined) break;
        run = std::move(*joined);
    }
    Strings kept = drop_redundant(std::move(run), at_start ? starts_with : ends_with);
    if (kept.empty() || kept.front().empty()) return {};
    return kept;
}

// True when every string of `must` already satisfies the clause (it adds nothing).
bool implied_by(const Strings& clause, const Strings& must) {
    if (must.empty()) return false;
    return std::all_of(must.begin(), must.end(), [&](const std::string& m) {
        return std::any_of(clause.begin(), clause.end(),
                           [&](const std::string& l) { return contains(m, l); });
    });
}

}  // namespace

RegexPrefilter analyze_regex_literals(std::string_view pattern) {
    // Clauses whose literals are this short hardly ever reject a domain ("." or "a").
    constexpr std::size_t kMinUsefulLength = 2;
    constexpr std::size_t kMaxClauses = 3;

    RegexPrefilter out;
    auto root = parse_regex_subset(pattern);
    if (!root) return out;
    const std::vector<Node> single{*root};
    const auto& items = root->kind == Node::Kind::concat ? root->children : single;
    if (!items.empty()) {
        out.prefixes = anchored_literals(items, true);
        out.suffixes = anchored_literals(items, false);
    }
    Clauses clauses = to_clauses(analyze(*root));
    std::stable_sort(clauses.begin(), clauses.end(),
                     [](const auto& a, const auto& b) { return strength(a) > strength(b); });
    for (auto& clause : clauses) {
        if (out.contains_any.size() == kMaxClauses || strength(clause) < kMinUsefulLength) break;
        if (implied_by(clause, out.prefixes) || implied_by(clause, out.suffixes)) continue;
        out.contains_any.push_back(std::move(clause));
    }
    return out;
}

bool RegexPrefilter::passes(std::string_view name) const {
    auto any = [&](const Strings& options, auto&& test) {
        return options.empty() || std::any_of(options.begin(), options.end(), test);
    };
    if (!any(prefixes, [&](const std::string& p) { return name.starts_with(p); })) return false;
    if (!any(suffixes, [&](const std::string& s) { return name.ends_with(s); })) return false;
    for (const auto& clause : contains_any)
        if (!any(clause, [&](const std::string& l) { return name.find(l) != name.npos; }))
            return false;
    return true;
}

std::string RegexPrefilter::describe() const {
    if (empty()) return "none";
    std::string out;
    auto list = [&](const char* what, const Strings& options) {
        if (options.empty()) return;
        if (!out.empty()) out += ' ';
        out += what;
        out += '(';
        for (std::size_t i = 0; i < options.size(); ++i) out += (i ? "|" : "") + options[i];
        out += ')';
    };
    list("prefix", prefixes);
    list("suffix", suffixes);
    for (const auto& clause : contains_any) list("contains", clause);
    return out;
}

// ---- DomainRegex -----------------------------------------------------------------------------

std::optional<DomainRegex> DomainRegex::compile(std::string_view pattern, std::string* error) {
    // RE2 has Go's syntax and semantics (Clash's rules are Go regexps): `^`/`$` only at the
    // ends of the name, `.` not matching a newline, no backreferences or lookarounds. It
    // matches in time linear in the name whatever the pattern — a rule set from a remote
    // provider cannot stall the netstack thread with a catastrophic pattern, as a
    // backtracking engine (Boost.Regex took up to 2 s per name before giving up) could.
    re2::RE2::Options options;
    options.set_log_errors(false);
    options.set_never_capture(true);  // nothing reads sub-matches
    options.set_max_mem(kMaxProgramBytes);
    auto regex =
        std::make_shared<const re2::RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
    if (!regex->ok()) {
        if (error != nullptr) {
            // RE2 names the offending part; say where it is, the rule parser gives the line.
            const std::string& part = regex->error_arg();
            auto at = part.empty() ? std::string_view::npos : pattern.find(part);
            if (regex->error_code() == re2::RE2::ErrorTrailingBackslash) at = pattern.size() - 1;
            *error = regex->error_code() == re2::RE2::ErrorPatternTooLarge
                         ? "pattern too large (its program exceeds " +
                               std::to_string(kMaxProgramBytes / 1024) + " KiB)"
                         : regex->error();
            if (at != std::string_view::npos) *error += " (at offset " + std::to_string(at) + ")";
        }
        return std::nullopt;
    }
    DomainRegex r;
    r.regex_ = std::move(regex);
    r.pattern_ = std::string(pattern);
    r.prefilter_ = analyze_regex_literals(pattern);
    return r;
}

bool DomainRegex::matches(std::string_view domain) const {
    return prefilter_.passes(domain) && matches_without_prefilter(domain);
}

bool DomainRegex::matches_without_prefilter(std::string_view domain) const {
    // A search, as Go's MatchString; a pattern starting with `^` is anchored by RE2 itself.
    return re2::RE2::PartialMatch(re2::StringPiece(domain.data(), domain.size()), *regex_);
}

}  // namespace shunt::rules
