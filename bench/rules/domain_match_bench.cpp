// Domain and keyword matching: DomainMatcher over 100,000 and 1,000,000 suffix rules (the
// public suffix list plus synthetic registrable domains), a naive std::unordered_map baseline
// probed with one std::string per suffix, and KeywordMatcher over 1,000 keywords.
// Queries are pre-generated, half hits (a few labels below a rule) and half misses (names
// under TLD-like suffixes no rule covers), shuffled, and cycled through.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "bench/rules/rules_bench_fixture.hpp"
#include "rules/match/domain_matcher.hpp"
#include "rules/match/keyword_matcher.hpp"

namespace {

using shunt::rules::DomainMatcher;
using shunt::rules::DomainMatcherBuilder;
using shunt::rules::DomainMatchKind;
using shunt::rules::KeywordMatcher;
using shunt::rules::KeywordMatcherBuilder;

constexpr std::size_t kQueryCount = 1 << 16;
using shunt::bench::public_suffixes;
using shunt::bench::random_label;

// Names laid out back to back in one buffer and visited in order, as a connection's domain
// would be: already in cache. Only the matcher's own memory accesses are measured as cold.
struct QuerySet {
    std::string text;
    std::vector<std::string_view> names;

    explicit QuerySet(const std::vector<std::string>& list) {
        for (const auto& name : list) text += name;
        std::size_t offset = 0;
        for (const auto& name : list) {
            names.emplace_back(text.data() + offset, name.size());
            offset += name.size();
        }
    }
    std::string_view operator[](std::size_t i) const { return names[i & (kQueryCount - 1)]; }
    std::string_view at(std::size_t i, std::size_t distinct) const {
        return names[i & (distinct - 1)];
    }
};

struct DomainCorpus {
    std::vector<std::string> rules;
    std::vector<std::string> queries;  // half hits, half misses, shuffled
};

DomainCorpus make_domain_corpus(std::size_t rule_count) {
    std::mt19937_64 rng(rule_count);
    DomainCorpus c;
    auto suffixes = public_suffixes();
    std::unordered_set<std::string> rule_set(suffixes.begin(), suffixes.end());
    c.rules = suffixes;
    while (c.rules.size() < rule_count) {
        auto name = random_label(rng, 4, 12) + "." + suffixes[rng() % suffixes.size()];
        if (rule_set.insert(name).second) c.rules.push_back(name);
    }
    auto covered = [&](std::string_view name) {
        for (std::size_t pos = 0;;) {
            if (rule_set.count(std::string(name.substr(pos)))) return true;
            pos = name.find('.', pos);
            if (pos == std::string_view::npos) return false;
            ++pos;
        }
    };
    std::vector<std::string> free_tlds;
    while (free_tlds.size() < 64) {
        auto tld = "zq" + random_label(rng, 2, 4);
        if (!rule_set.count(tld)) free_tlds.push_back(tld);
    }
    while (c.queries.size() < kQueryCount) {
        std::string name;
        const bool hit = c.queries.size() % 2 == 0;
        for (int labels = 1 + static_cast<int>(rng() % 3); labels > 0; --labels)
            name += random_label(rng, 1, 10) + ".";
        if (hit) {
            name += c.rules[rng() % c.rules.size()];
        } else {
            name += random_label(rng, 4, 12) + "." + free_tlds[rng() % free_tlds.size()];
        }
        if (covered(name) != hit) continue;
        c.queries.push_back(std::move(name));
    }
    std::shuffle(c.queries.begin(), c.queries.end(), rng);
    return c;
}

const DomainCorpus& corpus(std::size_t rule_count) {
    static const DomainCorpus c100k = make_domain_corpus(100'000);
    if (rule_count == 100'000) return c100k;
    static const DomainCorpus c1m = make_domain_corpus(1'000'000);
    return c1m;
}

// Args: rule count, distinct query names cycled through (65,536: the matcher's memory is
// mostly cold; 4,096: the working set of a router's busiest domains, mostly cached).
void BM_DomainMatcher(benchmark::State& state) {
    const auto& c = corpus(static_cast<std::size_t>(state.range(0)));
    const auto distinct = static_cast<std::size_t>(state.range(1));
    DomainMatcherBuilder builder;
    for (std::size_t i = 0; i < c.rules.size(); ++i)
        builder.add(c.rules[i], DomainMatchKind::suffix_and_self, static_cast<std::uint32_t>(i));
    const auto matcher = builder.build();
    const QuerySet queries(c.queries);
    std::size_t hits = 0, i = 0;
    for (auto _ : state) {
        auto result = matcher.match(queries.at(i++, distinct));
        hits += result.has_value();
        benchmark::DoNotOptimize(result);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.counters["memory_bytes"] = static_cast<double>(matcher.memory_bytes());
    state.counters["entries"] = static_cast<double>(matcher.size());
    state.counters["bytes_per_entry"] =
        static_cast<double>(matcher.memory_bytes()) / static_cast<double>(matcher.size());
    state.counters["hit_ratio"] = static_cast<double>(hits) / static_cast<double>(i);
}
BENCHMARK(BM_DomainMatcher)
    ->Args({100'000, kQueryCount})
    ->Args({100'000, 4096})
    ->Args({1'000'000, kQueryCount})
    ->Args({1'000'000, 4096});

// What a straightforward implementation does: one std::string per suffix probed.
void BM_NaiveUnorderedMap(benchmark::State& state) {
    const auto& c = corpus(100'000);
    std::unordered_map<std::string, std::uint32_t> rules;
    for (std::size_t i = 0; i < c.rules.size(); ++i)
        rules.emplace(c.rules[i], static_cast<std::uint32_t>(i));
    const QuerySet queries(c.queries);
    std::size_t hits = 0, i = 0;
    for (auto _ : state) {
        std::string_view name = queries[i++];
        std::uint32_t best = UINT32_MAX;
        for (std::size_t pos = 0;;) {
            auto it = rules.find(std::string(name.substr(pos)));
            if (it != rules.end()) best = std::min(best, it->second);
            pos = name.find('.', pos);
            if (pos == std::string_view::npos) break;
            ++pos;
        }
        hits += best != UINT32_MAX;
        benchmark::DoNotOptimize(best);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    // Estimate: bucket array + one node (next, cached hash, std::string, value; 64 bytes
    // with malloc overhead) + the heap text of names past the 15-byte SSO buffer.
    double bytes = static_cast<double>(rules.bucket_count() * sizeof(void*));
    for (const auto& [name, value] : rules)
        bytes += 64 + (name.size() > 15 ? ((name.size() + 1 + 15) / 16) * 16 + 16 : 0);
    state.counters["memory_bytes_est"] = bytes;
    state.counters["entries"] = static_cast<double>(rules.size());
    state.counters["hit_ratio"] = static_cast<double>(hits) / static_cast<double>(i);
}
BENCHMARK(BM_NaiveUnorderedMap);

struct KeywordCorpus {
    std::vector<std::string> keywords;
    std::vector<std::string> queries;
};

const KeywordCorpus& keyword_corpus() {
    static const KeywordCorpus c = [] {
        std::mt19937_64 rng(1000);
        KeywordCorpus k;
        std::unordered_set<std::string> seen;
        while (k.keywords.size() < 1000) {
            std::string keyword;
            for (int len = 4 + static_cast<int>(rng() % 6); len > 0; --len)
                keyword += static_cast<char>('a' + rng() % 26);
            if (seen.insert(keyword).second) k.keywords.push_back(keyword);
        }
        for (std::size_t q = 0; q < kQueryCount; ++q) {
            std::string name = random_label(rng, 1, 8);
            if (q % 2 == 0) name += k.keywords[rng() % k.keywords.size()];
            name += random_label(rng, 0, 6) + "." + random_label(rng, 4, 10) + ".com";
            k.queries.push_back(std::move(name));
        }
        std::shuffle(k.queries.begin(), k.queries.end(), rng);
        return k;
    }();
    return c;
}

void BM_KeywordMatcher(benchmark::State& state) {
    const auto& c = keyword_corpus();
    KeywordMatcherBuilder builder;
    for (std::size_t i = 0; i < c.keywords.size(); ++i)
        builder.add(c.keywords[i], static_cast<std::uint32_t>(i));
    const auto matcher = builder.build();
    const QuerySet queries(c.queries);
    std::size_t hits = 0, i = 0;
    for (auto _ : state) {
        auto result = matcher.match(queries[i++]);
        hits += result.has_value();
        benchmark::DoNotOptimize(result);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.counters["memory_bytes"] = static_cast<double>(matcher.memory_bytes());
    state.counters["states"] = static_cast<double>(matcher.state_count());
    state.counters["entries"] = static_cast<double>(c.keywords.size());
    state.counters["hit_ratio"] = static_cast<double>(hits) / static_cast<double>(i);
}
BENCHMARK(BM_KeywordMatcher);

// Baseline: one std::string_view::find per keyword.
void BM_NaiveKeywordFind(benchmark::State& state) {
    const auto& c = keyword_corpus();
    const QuerySet queries(c.queries);
    std::size_t hits = 0, i = 0;
    for (auto _ : state) {
        std::string_view name = queries[i++];
        std::uint32_t best = UINT32_MAX;
        for (std::uint32_t k = 0; k < c.keywords.size() && best == UINT32_MAX; ++k)
            if (name.find(c.keywords[k]) != std::string_view::npos) best = k;
        hits += best != UINT32_MAX;
        benchmark::DoNotOptimize(best);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.counters["hit_ratio"] = static_cast<double>(hits) / static_cast<double>(i);
}
BENCHMARK(BM_NaiveKeywordFind);

}  // namespace
