#include "core/domain_pattern.hpp"

#include "core/domain_name.hpp"

namespace shunt {

namespace {

// Splits "a.b.c" into its labels.
std::vector<std::string_view> labels_of(std::string_view name) {
    std::vector<std::string_view> labels;
    std::size_t start = 0;
    while (true) {
        auto dot = name.find('.', start);
        labels.push_back(name.substr(start, dot - start));
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return labels;
}

bool wildcard_matches(std::string_view pattern, std::string_view name) {
    auto p = labels_of(pattern);
    auto n = labels_of(name);
    if (p.size() != n.size()) return false;
    for (std::size_t i = 0; i < p.size(); ++i)
        if (p[i] != "*" && p[i] != n[i]) return false;
    return true;
}

}  // namespace

std::optional<DomainPattern> DomainPattern::parse(std::string_view text, std::string* error) {
    DomainPattern pattern;
    std::string_view body = text;
    if (body.starts_with("+.")) {
        pattern.kind = Kind::suffix_and_self;
        body.remove_prefix(2);
    } else if (body.starts_with(".")) {
        pattern.kind = Kind::strict_suffix;
        body.remove_prefix(1);
    }
    bool has_star = body.find('*') != std::string_view::npos;
    if (has_star) {
        if (pattern.kind != Kind::exact) {
            if (error) *error = "'*' cannot be combined with a '+.' or '.' suffix pattern";
            return std::nullopt;
        }
        pattern.kind = Kind::wildcard;
        for (auto label : labels_of(body)) {
            if (label.find('*') != std::string_view::npos && label != "*") {
                if (error) *error = "'*' must stand alone as a whole label";
                return std::nullopt;
            }
        }
    }
    auto normalized = normalize_domain(body);
    if (!normalized) {
        if (error) *error = "not a valid domain pattern: \"" + std::string(text) + "\"";
        return std::nullopt;
    }
    pattern.text = std::move(*normalized);
    return pattern;
}

bool DomainPattern::matches(std::string_view name) const {
    switch (kind) {
        case Kind::exact:
            return name == text;
        case Kind::suffix_and_self:
            return domain_has_suffix(name, text);
        case Kind::strict_suffix:
            return name.size() > text.size() && domain_has_suffix(name, text);
        case Kind::wildcard:
            return wildcard_matches(text, name);
    }
    return false;
}

void DomainPatternSet::add(const DomainPattern& pattern) {
    ++size_;
    switch (pattern.kind) {
        case DomainPattern::Kind::exact:
            exact_.insert(pattern.text);
            break;
        case DomainPattern::Kind::suffix_and_self:
            suffix_and_self_.insert(pattern.text);
            break;
        case DomainPattern::Kind::strict_suffix:
            strict_suffix_.insert(pattern.text);
            break;
        case DomainPattern::Kind::wildcard:
            wildcards_.push_back(pattern);
            break;
    }
}

bool DomainPatternSet::matches(std::string_view name) const {
    if (size_ == 0) return false;
    // unordered_set<string> has no heterogeneous lookup in C++20 libstdc++ 12, so one
    // string is reused for every probe.
    std::string probe(name);
    if (exact_.count(probe) || suffix_and_self_.count(probe)) return true;
    for (std::size_t dot = name.find('.'); dot != std::string_view::npos;
         dot = name.find('.', dot + 1)) {
        probe.assign(name.substr(dot + 1));
        if (suffix_and_self_.count(probe) || strict_suffix_.count(probe)) return true;
    }
    for (const auto& w : wildcards_)
        if (w.matches(name)) return true;
    return false;
}

}  // namespace shunt
