#include "api/delay_history.hpp"

#include "api/connections_endpoints.hpp"

namespace shunt::api {

namespace {

void push(std::deque<DelayRecord>& history, DelayRecord record) {
    history.push_back(record);
    while (history.size() > DelayHistory::kKept) history.pop_front();
}

boost::json::array to_json(const std::deque<DelayRecord>& history) {
    boost::json::array out;
    for (const auto& record : history)
        out.emplace_back(
            boost::json::object{{"time", rfc3339_utc(record.time)}, {"delay", record.delay_ms}});
    return out;
}

}  // namespace

void DelayHistory::record(const std::string& outbound, const std::string& url,
                          std::optional<std::chrono::milliseconds> delay) {
    // A probe that answered within the same millisecond still answered: 0 would read as
    // a failure.
    const DelayRecord record{std::chrono::system_clock::now(),
                             delay ? std::max(1, static_cast<int>(delay->count())) : 0};
    auto& entry = entries_[outbound];
    entry.all.alive = delay.has_value();
    push(entry.all.history, record);
    auto it = entry.by_url.begin();
    while (it != entry.by_url.end() && it->first != url) ++it;
    if (it == entry.by_url.end()) {
        entry.by_url.emplace_front(url, UrlRecords{});
        if (entry.by_url.size() > kUrls) entry.by_url.pop_back();
    } else {
        entry.by_url.splice(entry.by_url.begin(), entry.by_url, it);
    }
    auto& records = entry.by_url.front().second;
    records.alive = delay.has_value();
    push(records.history, record);
}

bool DelayHistory::alive(const std::string& outbound) const {
    const auto it = entries_.find(outbound);
    return it == entries_.end() || it->second.all.alive;
}

boost::json::array DelayHistory::history_json(const std::string& outbound) const {
    const auto it = entries_.find(outbound);
    return it == entries_.end() ? boost::json::array() : to_json(it->second.all.history);
}

boost::json::object DelayHistory::extra_json(const std::string& outbound) const {
    boost::json::object out;
    const auto it = entries_.find(outbound);
    if (it == entries_.end()) return out;
    for (const auto& [url, records] : it->second.by_url)
        out[url] =
            boost::json::object{{"alive", records.alive}, {"history", to_json(records.history)}};
    return out;
}

}  // namespace shunt::api
