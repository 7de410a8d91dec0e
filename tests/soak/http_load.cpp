#include "tests/soak/http_load.hpp"

#include <cstdio>

namespace shunt::test {

namespace {

// A flow torn down by a proxy's death ends a moment after it, and the carrier pool needs a
// moment to reconnect after the restart.
constexpr auto kOutageSlack = std::chrono::seconds(3);

}  // namespace

HttpLoad::HttpLoad(Options options) : options_(std::move(options)) {
    for (const Route& route : options_.routes) {
        threads_.emplace_back([this, &route] { loop(route, true); });
        threads_.emplace_back([this, &route] { loop(route, false); });
    }
}

HttpLoad::~HttpLoad() {
    stop();
}

void HttpLoad::stop() {
    stop_ = true;
    for (auto& thread : threads_)
        if (thread.joinable()) thread.join();
}

HttpLoad::Counters HttpLoad::counters() const {
    std::lock_guard lock(mutex_);
    return counters_;
}

std::map<std::string, std::uint64_t> HttpLoad::intact_by_route() const {
    std::lock_guard lock(mutex_);
    return intact_by_route_;
}

std::vector<std::string> HttpLoad::failures() const {
    std::lock_guard lock(mutex_);
    return failures_;
}

void HttpLoad::outage_begins(const std::string& route) {
    std::lock_guard lock(mutex_);
    outages_.push_back({route, Clock::now(), std::nullopt});
}

void HttpLoad::outage_ends(const std::string& route) {
    std::lock_guard lock(mutex_);
    for (auto& outage : outages_)
        if (outage.route == route && !outage.end) outage.end = Clock::now();
}

void HttpLoad::loop(const Route& route, bool long_transfers) {
    const auto& file = long_transfers ? options_.long_file : options_.short_file;
    const std::string url =
        "http://" + route.site + (long_transfers ? "/slow" : "") + file.url_path;
    while (!stop_) {
        const auto begin = Clock::now();
        const HttpTransfer transfer =
            http_get_sha256(options_.topology->client_ns(), url, {}, std::chrono::seconds(120));
        record(route, long_transfers ? "long" : "short", transfer, file.sha256, begin);
        if (!long_transfers) std::this_thread::sleep_for(options_.short_pause);
    }
}

void HttpLoad::record(const Route& route, const char* kind, const HttpTransfer& transfer,
                      const std::string& expected_sha256, Clock::time_point begin) {
    const auto end = Clock::now();
    std::lock_guard lock(mutex_);
    ++counters_.transfers;
    if (transfer.exit_code == 0 && transfer.sha256 == expected_sha256) {
        ++counters_.intact;
        ++intact_by_route_[route.name];
        return;
    }
    const double seconds = std::chrono::duration<double>(end - begin).count();
    char what[160];
    if (transfer.exit_code == 0) {
        ++counters_.corrupted;
        std::snprintf(what, sizeof what, "%s %s: CORRUPTED body after %.1f s", route.name.c_str(),
                      kind, seconds);
    } else if (during_outage(route.name, begin, end)) {
        ++counters_.interrupted;
        return;
    } else {
        ++counters_.failed;
        std::snprintf(what, sizeof what, "%s %s: curl exit %d after %.1f s", route.name.c_str(),
                      kind, transfer.exit_code, seconds);
    }
    if (failures_.size() < 20) failures_.emplace_back(what);
}

bool HttpLoad::during_outage(const std::string& route, Clock::time_point begin,
                             Clock::time_point end) const {
    for (const auto& outage : outages_) {
        if (outage.route != route) continue;
        const auto outage_end = (outage.end ? *outage.end : end) + kOutageSlack;
        if (begin <= outage_end && end >= outage.begin) return true;
    }
    return false;
}

}  // namespace shunt::test
