// IP longest-prefix-match throughput over tor-geoipdb data (issue 3, benchmark 1).
// Every case iterates a pre-generated array of 2^20 random addresses, one thread, and
// reports the structure's memory and prefix count as counters. The naive baseline (sorted
// merged ranges + std::upper_bound) runs over the same CN set in the same run.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <random>
#include <vector>

#include "bench/rules/rules_bench_fixture.hpp"
#include "rules/match/ip_prefix_table.hpp"

namespace {

using shunt::IpAddress;
using shunt::Prefix;
using shunt::rules::IpPrefixTable;
using shunt::rules::uint128;

constexpr std::size_t kAddressCount = std::size_t{1} << 20;

std::vector<Prefix> cn_prefixes(IpAddress::Family family) {
    return shunt::bench::country_prefixes("CN", family);
}

const std::vector<std::uint32_t>& random_v4_addresses() {
    static const auto addresses = [] {
        std::mt19937 rng(42);
        std::vector<std::uint32_t> out(kAddressCount);
        for (auto& address : out) address = rng();
        return out;
    }();
    return addresses;
}

// Uniformly random v6 addresses would nearly all miss at the root, which says little; half
// are inside a random CN prefix, half anywhere in global unicast 2000::/3.
std::vector<uint128> random_v6_addresses(const std::vector<Prefix>& prefixes) {
    std::mt19937_64 rng(43);
    std::vector<uint128> out(kAddressCount);
    for (std::size_t i = 0; i < out.size(); ++i) {
        const uint128 noise = (uint128{rng()} << 64) | rng();
        if (i % 2 == 0) {
            out[i] = (noise >> 3) | (uint128{1} << 125);
        } else {
            const Prefix& p = prefixes[rng() % prefixes.size()];
            const uint128 host_mask =
                p.length() == 0 ? ~uint128{0} : ~(~uint128{0} << (128 - p.length()));
            out[i] = p.base().to_u128() | (noise & host_mask);
        }
    }
    return out;
}

template <typename Lookup>
void run_lookups(benchmark::State& state, std::size_t count, Lookup&& lookup) {
    std::uint64_t matched = 0;
    for (auto _ : state) {
        for (std::size_t i = 0; i < count; ++i) matched += lookup(i);
        benchmark::DoNotOptimize(matched);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * count));
    state.counters["hit_ratio"] =
        static_cast<double>(matched) / static_cast<double>(state.iterations() * count);
}

void set_table_counters(benchmark::State& state, const IpPrefixTable& table) {
    state.counters["memory_bytes"] = static_cast<double>(table.memory_bytes());
    state.counters["prefixes"] =
        static_cast<double>(table.v4_prefix_count() + table.v6_prefix_count());
}

void BM_IpV4_CN(benchmark::State& state) {
    const auto table = IpPrefixTable::from_set(cn_prefixes(IpAddress::Family::v4));
    const auto& addresses = random_v4_addresses();
    run_lookups(state, addresses.size(), [&](std::size_t i) {
        return table.lookup_v4(addresses[i]) != IpPrefixTable::kNoMatch;
    });
    set_table_counters(state, table);
}
BENCHMARK(BM_IpV4_CN);

// The engine's entry point: an IpAddress value, family dispatch included.
void BM_IpV4_CN_IpAddress(benchmark::State& state) {
    const auto table = IpPrefixTable::from_set(cn_prefixes(IpAddress::Family::v4));
    std::vector<IpAddress> addresses;
    for (auto value : random_v4_addresses()) addresses.push_back(IpAddress::from_v4(value));
    run_lookups(state, addresses.size(),
                [&](std::size_t i) { return table.contains(addresses[i]); });
    set_table_counters(state, table);
}
BENCHMARK(BM_IpV4_CN_IpAddress);

// A full GEOIP table: every country's v4 prefixes, the value is the country's index.
void BM_IpV4_AllCountries(benchmark::State& state) {
    std::vector<shunt::rules::PrefixValue> entries;
    std::uint32_t country_id = 0;
    for (const auto& [code, prefixes] : shunt::bench::tor_geoip().prefixes_by_country) {
        for (const auto& prefix : prefixes)
            if (prefix.family() == IpAddress::Family::v4) entries.push_back({prefix, country_id});
        ++country_id;
    }
    const auto build_start = std::chrono::steady_clock::now();
    const IpPrefixTable table(entries);
    const std::chrono::duration<double> build_time = std::chrono::steady_clock::now() - build_start;
    const auto& addresses = random_v4_addresses();
    run_lookups(state, addresses.size(), [&](std::size_t i) {
        return table.lookup_v4(addresses[i]) != IpPrefixTable::kNoMatch;
    });
    set_table_counters(state, table);
    state.counters["countries"] = country_id;
    state.counters["build_seconds"] = build_time.count();
    state.counters["chunks"] = static_cast<double>(table.chunk_count());
}
BENCHMARK(BM_IpV4_AllCountries);

void BM_IpV6_CN(benchmark::State& state) {
    const auto prefixes = cn_prefixes(IpAddress::Family::v6);
    const auto table = IpPrefixTable::from_set(prefixes);
    const auto addresses = random_v6_addresses(prefixes);
    run_lookups(state, addresses.size(), [&](std::size_t i) {
        return table.lookup_v6(addresses[i]) != IpPrefixTable::kNoMatch;
    });
    set_table_counters(state, table);
}
BENCHMARK(BM_IpV6_CN);

// Baseline: the CN v4 prefixes merged into sorted disjoint ranges, binary search.
void BM_IpV4_CN_SortedRangesBaseline(benchmark::State& state) {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges;
    for (const auto& prefix : cn_prefixes(IpAddress::Family::v4))
        ranges.emplace_back(prefix.base().v4(),
                            static_cast<std::uint32_t>(prefix.base().v4() + (prefix.size() - 1)));
    std::sort(ranges.begin(), ranges.end());
    std::vector<std::uint32_t> starts;
    std::vector<std::uint32_t> ends;
    for (const auto& [first, last] : ranges) {
        if (!ends.empty() && std::uint64_t{ends.back()} + 1 >= first) {
            ends.back() = std::max(ends.back(), last);
        } else {
            starts.push_back(first);
            ends.push_back(last);
        }
    }
    const auto& addresses = random_v4_addresses();
    run_lookups(state, addresses.size(), [&](std::size_t i) {
        const std::uint32_t address = addresses[i];
        auto it = std::upper_bound(starts.begin(), starts.end(), address);
        if (it == starts.begin()) return false;
        return address <= ends[static_cast<std::size_t>(it - starts.begin()) - 1];
    });
    state.counters["memory_bytes"] = static_cast<double>((starts.size() + ends.size()) * 4);
    state.counters["prefixes"] = static_cast<double>(ranges.size());
    state.counters["ranges"] = static_cast<double>(starts.size());
}
BENCHMARK(BM_IpV4_CN_SortedRangesBaseline);

}  // namespace
