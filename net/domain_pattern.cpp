#include "net/domain_pattern.hpp"

#include <algorithm>

#include "net/domain_name.hpp"

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

// Label by label, without splitting into containers: this runs for every query whose
// name is checked against the filter, so it must not allocate.
bool wildcard_matches(std::string_view pattern, std::string_view name) {
    while (true) {
        auto pattern_dot = pattern.find('.');
        auto name_dot = name.find('.');
        auto pattern_label = pattern.substr(0, pattern_dot);
        if (pattern_label != "*" && pattern_label != name.substr(0, name_dot)) return false;
        if (pattern_dot == std::string_view::npos || name_dot == std::string_view::npos)
            return pattern_dot == name_dot;
        pattern.remove_prefix(pattern_dot + 1);
        name.remove_prefix(name_dot + 1);
    }
}

}  // namespace

std::size_t label_count(std::string_view name) {
    return static_cast<std::size_t>(std::count(name.begin(), name.end(), '.')) + 1;
}

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
            wildcards_.push_back({label_count(pattern.text), pattern});
            break;
    }
}

bool DomainPatternSet::matches(std::string_view name) const {
    if (size_ == 0) return false;
    if (exact_.contains(name) || suffix_and_self_.contains(name)) return true;
    for (std::size_t dot = name.find('.'); dot != std::string_view::npos;
         dot = name.find('.', dot + 1)) {
        auto suffix = name.substr(dot + 1);
        if (suffix_and_self_.contains(suffix) || strict_suffix_.contains(suffix)) return true;
    }
    if (!wildcards_.empty()) {
        auto labels = label_count(name);
        for (const auto& [count, w] : wildcards_)
            if (count == labels && w.matches(name)) return true;
    }
    return false;
}

}  // namespace shunt
