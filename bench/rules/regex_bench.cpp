// DOMAIN-REGEX matching cost per domain: DomainRegex with its literal prefilter, the same
// RE2 program without the prefilter, and std::regex (what the engine used first), on the
// realistic config's two patterns plus a suffix-style one. Hits are names the pattern
// matches; misses are ordinary names (the common case: most domains match no regex rule).
#include <benchmark/benchmark.h>

#include <random>
#include <regex>
#include <string>
#include <vector>

#include "bench/rules/rules_bench_fixture.hpp"
#include "rules/match/domain_regex.hpp"

namespace {

using shunt::rules::DomainRegex;

constexpr std::size_t kNames = 256;  // a power of two, cycled through

const char* const kPatterns[] = {
    R"(^(.+\.)?(tracker|telemetry)[0-9]*\.)",
    R"(^ad[sx]?[0-9]*\.)",
    R"(\.doubleclick\.net$)",
};

std::vector<std::string> make_names(int pattern, bool hits) {
    std::mt19937_64 rng(static_cast<std::uint64_t>(pattern * 2 + hits));
    static const char* const kTlds[] = {"com", "net", "org", "cn", "io", "co.uk"};
    std::vector<std::string> names;
    while (names.size() < kNames) {
        std::string site = shunt::bench::random_label(rng, 4, 12) + "." + kTlds[rng() % 6];
        std::string name;
        if (!hits) {
            name = (rng() % 2 ? shunt::bench::random_label(rng, 2, 8) + "." : "") + site;
        } else if (pattern == 0) {
            name = (rng() % 2 ? "cdn." : "") + std::string(rng() % 2 ? "tracker" : "telemetry") +
                   std::to_string(rng() % 20) + "." + site;
        } else if (pattern == 1) {
            name =
                "ad" + std::string(rng() % 2 ? "s" : "") + std::to_string(rng() % 9) + "." + site;
        } else {
            name = shunt::bench::random_label(rng, 2, 8) + ".doubleclick.net";
        }
        names.push_back(std::move(name));
    }
    return names;
}

enum class Engine { prefiltered = 0, regex_only = 1, std_regex = 2 };

// Args: pattern index, hits (1) or misses (0), engine.
void BM_DomainRegex_Match(benchmark::State& state) {
    const auto pattern = static_cast<int>(state.range(0));
    const bool hits = state.range(1) != 0;
    const auto engine = static_cast<Engine>(state.range(2));
    const auto names = make_names(pattern, hits);
    const auto regex = *DomainRegex::compile(kPatterns[pattern]);
    const std::regex standard(kPatterns[pattern], std::regex::ECMAScript | std::regex::optimize);

    std::size_t i = 0, matched = 0;
    for (auto _ : state) {
        const std::string& name = names[i++ & (kNames - 1)];
        bool m = false;
        switch (engine) {
            case Engine::prefiltered:
                m = regex.matches(name);
                break;
            case Engine::regex_only:
                m = regex.matches_without_prefilter(name);
                break;
            case Engine::std_regex:
                m = std::regex_search(name, standard);
                break;
        }
        matched += m ? 1 : 0;
        benchmark::DoNotOptimize(matched);
    }
    if (matched != static_cast<std::size_t>(hits ? state.iterations() : 0))
        state.SkipWithError("generated names do not hit/miss as intended");
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_DomainRegex_Match)
    ->ArgNames({"pattern", "hit", "engine"})
    ->ArgsProduct({{0, 1, 2}, {0, 1}, {0, 1, 2}});

}  // namespace
