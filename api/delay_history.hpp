// DelayHistory: what the API's delay tests found, per outbound (docs/api.md §2.3) — the
// `alive`, `history` and `extra` fields dashboards draw latencies from. It belongs to the
// API, not to the outbounds, so it survives a reload that rebuilds them. Bounded: the last
// 10 results per outbound and per URL, and at most 8 URLs per outbound (a client choosing
// URLs cannot grow it).
#pragma once

#include <chrono>
#include <deque>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include <boost/json/value.hpp>

namespace shunt::api {

struct DelayRecord {
    std::chrono::system_clock::time_point time;
    int delay_ms = 0;  // 0: the test failed (what dashboards expect)
};

class DelayHistory {
  public:
    static constexpr std::size_t kKept = 10;
    static constexpr std::size_t kUrls = 8;

    // `delay` nullopt: the test failed.
    void record(const std::string& outbound, const std::string& url,
                std::optional<std::chrono::milliseconds> delay);

    // The fields for `outbound`: alive (true before any test), history, extra.
    bool alive(const std::string& outbound) const;
    boost::json::array history_json(const std::string& outbound) const;
    boost::json::object extra_json(const std::string& outbound) const;

  private:
    struct UrlRecords {
        bool alive = true;
        std::deque<DelayRecord> history;
    };
    struct Entry {
        UrlRecords all;                                        // every URL together
        std::list<std::pair<std::string, UrlRecords>> by_url;  // most recently used first
    };
    std::unordered_map<std::string, Entry> entries_;
};

}  // namespace shunt::api
