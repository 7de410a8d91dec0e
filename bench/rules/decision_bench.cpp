// Issue 3, benchmark 3: decisions per second for a realistic config (1,000 mixed rules as
// text, a 100,000-entry `domain` rule set, tor-geoipdb's CN ranges as an `ipcidr` set; see
// decision_config_fixture.hpp) through RuleEngine::decide, one thread, over 65,536
// precomputed connections. A connection the engine asks to resolve is decided again with
// `resolved` set through RuleEngine::resume, as the data path does: one decision, two
// evaluations, the second going on from the rule that asked (as Clash does).
// Baseline in the same run: the same rules checked one by one in list order, the way mihomo
// does (each rule a RuleCondition, each rule set its own DomainMatcher / IpPrefixTable),
// with the engine's resolution semantics. The two must agree on the first 10,000
// connections or the benchmark aborts.
// Memory: heap bytes (mallinfo2, in use + mmapped) held after compile() and after parsing
// each rule set, so builder temporaries are not counted.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/rules/decision_config_fixture.hpp"
#include "rules/engine/rule_condition.hpp"
#include "rules/engine/rule_engine.hpp"
#include "rules/parse/rule_list.hpp"

namespace {

using namespace shunt;
using namespace shunt::rules;
using shunt::bench::Connection;

constexpr std::size_t kConnectionCount = std::size_t{1} << 16;
constexpr std::size_t kCheckedConnections = 10'000;

double heap_bytes() {
    const auto info = mallinfo2();
    return static_cast<double>(info.uordblks + info.hblkhd);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// GEOIP over every tor-geoipdb country: one IpPrefixTable valued by country index, what an
// .mmdb answers (MmdbCountryLookup needs a database file the machine does not have).
class TorCountryLookup final : public CountryLookup {
  public:
    TorCountryLookup() {
        std::vector<PrefixValue> entries;
        for (const auto& [code, prefixes] : bench::tor_geoip().prefixes_by_country) {
            const auto country = CountryCode::parse(code);
            if (!country) continue;  // "??": unknown ranges
            for (const auto& prefix : prefixes)
                entries.push_back({prefix, static_cast<std::uint32_t>(codes_.size())});
            codes_.push_back(*country);
        }
        table_ = IpPrefixTable(entries);
    }
    std::optional<CountryCode> country_of(const IpAddress& address) const override {
        const std::uint32_t index = table_.lookup_or_sentinel(address);
        if (index == IpPrefixTable::kNoMatch) return std::nullopt;
        return codes_[index];
    }
    std::vector<Prefix> prefixes_of(CountryCode country) const override {
        return bench::tor_geoip().country(country.view());
    }

  private:
    IpPrefixTable table_;
    std::vector<CountryCode> codes_;
};

struct BaselineDecision {
    std::size_t rule_index = Decision::npos;
    bool needs_resolution = false;
};

// Rule by rule, first match wins; a name-only connection stops at the first rule that
// wants an address and asks for resolution there, like CompiledRules.
class SequentialBaseline {
  public:
    SequentialBaseline(const std::vector<RuleSpec>& rules, const RuleSetLibrary& sets,
                       const CountryLookup* countries)
        : countries_(countries) {
        for (const RuleSpec& rule : rules) {
            if (rule.type != RuleType::rule_set) {
                conditions_.push_back(RuleCondition::from_spec(rule, countries));
                steps_.push_back(
                    {Kind::condition, conditions_.back().wants_address(), conditions_.size() - 1});
                continue;
            }
            const RuleSetEntries& set = sets.find(rule.payload)->second;
            if (set.behavior == RuleSetBehavior::domain) {
                DomainMatcherBuilder builder;
                for (const DomainPattern& p : set.domains) builder.add(p.text, kind_of(p.kind), 0);
                domain_sets_.push_back(builder.build());
                steps_.push_back({Kind::domain_set, false, domain_sets_.size() - 1});
            } else if (set.behavior == RuleSetBehavior::ipcidr) {
                cidr_sets_.push_back(IpPrefixTable::from_set(set.cidrs));
                steps_.push_back({Kind::cidr_set, !rule.no_resolve, cidr_sets_.size() - 1});
            } else {
                throw std::invalid_argument("baseline: classical rule sets not modelled");
            }
        }
    }

    // `start`: after resolution the scan goes on from the rule that asked (Clash).
    BaselineDecision evaluate(const ConnectionMetadata& m, std::size_t start = 0) const {
        EvaluationScratch scratch;
        scratch.address = m.rule_address();
        scratch.countries = countries_;
        const bool may_resolve = scratch.address == nullptr && !m.domain.empty();
        for (std::size_t i = start; i < steps_.size(); ++i) {
            const Step& step = steps_[i];
            if (may_resolve && step.wants_address) return {i, true};
            bool hit = false;
            switch (step.kind) {
                case Kind::condition:
                    hit = conditions_[step.index].matches(m, scratch);
                    break;
                case Kind::domain_set:
                    hit = !m.domain.empty() && domain_sets_[step.index].match(m.domain);
                    break;
                case Kind::cidr_set:
                    hit = scratch.address != nullptr &&
                          cidr_sets_[step.index].contains(*scratch.address);
                    break;
            }
            if (hit) return {i, false};
        }
        return {};
    }

  private:
    enum class Kind : std::uint8_t { condition, domain_set, cidr_set };
    struct Step {
        Kind kind;
        bool wants_address;
        std::size_t index;
    };
    static DomainMatchKind kind_of(DomainPattern::Kind kind) {
        if (kind == DomainPattern::Kind::exact) return DomainMatchKind::exact;
        if (kind == DomainPattern::Kind::suffix_and_self) return DomainMatchKind::suffix_and_self;
        if (kind == DomainPattern::Kind::strict_suffix) return DomainMatchKind::strict_suffix;
        throw std::invalid_argument("baseline: wildcard domain entries not modelled");
    }

    std::vector<Step> steps_;
    std::vector<RuleCondition> conditions_;
    std::vector<DomainMatcher> domain_sets_;
    std::vector<IpPrefixTable> cidr_sets_;
    const CountryLookup* countries_;
};

[[noreturn]] void fail(const std::string& message) {
    std::fprintf(stderr, "decision_bench: %s\n", message.c_str());
    std::abort();
}

struct DecisionFixture {
    bench::DecisionConfig config;
    std::vector<RuleSpec> rules;
    RuleSetLibrary sets;
    std::unique_ptr<TorCountryLookup> countries;
    std::unique_ptr<RuleEngine> engine;
    std::unique_ptr<SequentialBaseline> baseline;
    bench::ConnectionStream stream;
    std::map<std::string, double> figures;  // counters every case reports

    explicit DecisionFixture(bool with_regex) {
        config = bench::make_decision_config(with_regex);
        std::vector<std::pair<std::string, SourcePosition>> lines;
        for (std::size_t i = 0; i < config.rule_lines.size(); ++i)
            lines.push_back({config.rule_lines[i], {"config.yaml", static_cast<int>(i + 1), 5}});
        auto parsed = parse_rule_list(lines);
        if (!parsed.ok()) fail(parsed.errors.front().format());
        rules = std::move(parsed.rules);

        parse_set(bench::kDomainSetName, config.domain_set_text, RuleSetBehavior::domain,
                  "domain_set");
        parse_set(bench::kCidrSetName, config.cidr_set_text, RuleSetBehavior::ipcidr, "cidr_set");
        countries = std::make_unique<TorCountryLookup>();

        CompileOptions options;
        options.countries = countries.get();
        options.rule_sets = &sets;
        double heap = heap_bytes();
        auto start = std::chrono::steady_clock::now();
        auto compiled =
            std::make_shared<const CompiledRules>(CompiledRules::compile(rules, options));
        figures["compile_seconds"] = seconds_since(start);
        figures["compiled_bytes"] = heap_bytes() - heap;
        figures["sequential_rules"] = static_cast<double>(compiled->sequential_count());
        figures["rules"] = static_cast<double>(compiled->rule_count());
        engine = std::make_unique<RuleEngine>(std::move(compiled));

        heap = heap_bytes();
        baseline = std::make_unique<SequentialBaseline>(rules, sets, countries.get());
        figures["baseline_bytes"] = heap_bytes() - heap;

        stream = bench::make_connection_stream(config, kConnectionCount);
        check_and_count();
    }

    void parse_set(std::string_view name, const std::string& text, RuleSetBehavior behavior,
                   const std::string& label) {
        const double heap = heap_bytes();
        const auto start = std::chrono::steady_clock::now();
        auto entries = parse_rule_set_text(text, behavior, std::string(name));
        figures[label + "_parse_seconds"] = seconds_since(start);
        figures[label + "_parsed_bytes"] = heap_bytes() - heap;
        figures[label + "_entries"] = static_cast<double>(entries.entry_count());
        if (!entries.ok()) fail(entries.errors.front().format());
        sets.emplace(std::string(name), std::move(entries));
    }

    // Engine against baseline on the first kCheckedConnections; outcome mix over all.
    void check_and_count() {
        std::size_t resolved = 0, to_match = 0, hits = 0;
        for (std::size_t i = 0; i < stream.connections.size(); ++i) {
            const Connection& c = stream.connections[i];
            ConnectionMetadata again = c.metadata;
            again.resolved = c.resolve_to;
            Verdict v = engine->decide(c.metadata);
            const bool resolving = v.decision.needs_resolution;
            if (i < kCheckedConnections) {
                const auto b = baseline->evaluate(c.metadata);
                if (b.rule_index != v.decision.rule_index || b.needs_resolution != resolving)
                    fail("engine and baseline disagree on connection " + std::to_string(i) + " (" +
                         std::string(c.metadata.domain) + "): rule " +
                         std::to_string(v.decision.rule_index) + " vs " +
                         std::to_string(b.rule_index));
                if (resolving && baseline->evaluate(again, b.rule_index).rule_index !=
                                     engine->resume(again, v).decision.rule_index)
                    fail("engine and baseline disagree after resolution, connection " +
                         std::to_string(i));
            }
            if (resolving) {
                ++resolved;
                v = engine->resume(again, v);
            }
            if (v.decision.type == RuleType::match)
                ++to_match;
            else
                ++hits;
        }
        const auto n = static_cast<double>(stream.connections.size());
        figures["resolve_ratio"] = static_cast<double>(resolved) / n;
        figures["match_ratio"] = static_cast<double>(to_match) / n;
        figures["rule_hit_ratio"] = static_cast<double>(hits) / n;
    }
};

const DecisionFixture& fixture(bool with_regex) {
    if (with_regex) {
        static const DecisionFixture f(true);
        return f;
    }
    static const DecisionFixture f(false);
    return f;
}

// Decisions per CPU second of the last engine run with the full config, for the baseline's
// ratio (CPU time: the machine is shared, wall time is noisy).
double engine_rate = 0;

double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Returns decisions per CPU second measured around the loop (Google Benchmark's own rate
// is not visible to the case).
template <typename Decide>
double run_decisions(benchmark::State& state, const DecisionFixture& f, std::size_t distinct,
                     Decide&& decide) {
    const auto& connections = f.stream.connections;
    std::size_t i = 0, evaluations = 0;
    const double start = thread_cpu_seconds();
    for (auto _ : state) {
        const Connection& c = connections[i++ & (distinct - 1)];
        evaluations += decide(c);
    }
    const double elapsed = thread_cpu_seconds() - start;
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.counters["evaluations_per_decision"] =
        static_cast<double>(evaluations) / static_cast<double>(state.iterations());
    return static_cast<double>(state.iterations()) / elapsed;
}

// Args: regex 1 the config as described, 0 with its two DOMAIN-REGEX rules as suffix
// rules; distinct connections cycled through (65,536: the matchers' memory mostly cold;
// 4,096: a busy router's working set, mostly cached).
void BM_Decide_RuleEngine(benchmark::State& state) {
    const bool with_regex = state.range(0) != 0;
    const auto distinct = static_cast<std::size_t>(state.range(1));
    const auto& f = fixture(with_regex);
    const double rate = run_decisions(state, f, distinct, [&](const Connection& c) -> std::size_t {
        Verdict v = f.engine->decide(c.metadata);
        if (!v.decision.needs_resolution) {
            benchmark::DoNotOptimize(v.decision.rule_index);
            return 1;
        }
        ConnectionMetadata again = c.metadata;
        again.resolved = c.resolve_to;
        v = f.engine->resume(again, v);
        benchmark::DoNotOptimize(v.decision.rule_index);
        return 2;
    });
    state.counters["compiled_bytes"] = f.figures.at("compiled_bytes");
    if (!with_regex || distinct != kConnectionCount) return;
    engine_rate = rate;
    for (const auto& [key, value] : f.figures)
        if (key != "baseline_bytes") state.counters[key] = value;
}
BENCHMARK(BM_Decide_RuleEngine)
    ->ArgNames({"regex", "distinct"})
    ->Args({1, kConnectionCount})
    ->Args({0, kConnectionCount})
    ->Args({1, 4096})
    ->Args({0, 4096});

void BM_Decide_ClashStyleSequential(benchmark::State& state) {
    const auto& f = fixture(true);
    const double rate =
        run_decisions(state, f, kConnectionCount, [&](const Connection& c) -> std::size_t {
            auto d = f.baseline->evaluate(c.metadata);
            if (!d.needs_resolution) {
                benchmark::DoNotOptimize(d.rule_index);
                return 1;
            }
            ConnectionMetadata again = c.metadata;
            again.resolved = c.resolve_to;
            d = f.baseline->evaluate(again, d.rule_index);
            benchmark::DoNotOptimize(d.rule_index);
            return 2;
        });
    state.counters["baseline_bytes"] = f.figures.at("baseline_bytes");
    if (engine_rate > 0) state.counters["engine_speedup"] = engine_rate / rate;
}
BENCHMARK(BM_Decide_ClashStyleSequential);

}  // namespace
