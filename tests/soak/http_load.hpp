// The soak's TCP load: for each route (direct, SOCKS5, mux) one loop of long downloads at
// nginx's /slow/ rate and one loop of short requests, each a new connection (a curl of
// its own), every body checked by sha256.
//
// A transfer that fails while its route's proxy is being restarted on purpose counts as
// interrupted, not failed: the soak restarts the mux-server and expects its flows to end
// then, and the next ones to work.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/e2e_topology.hpp"
#include "tests/support/nginx_server.hpp"

namespace shunt::test {

class HttpLoad {
  public:
    struct Route {
        std::string name;  // "direct", "socks", "mux"
        std::string site;  // the name whose rule picks the route
    };
    struct Options {
        const E2eTopology* topology = nullptr;
        std::vector<Route> routes;
        NginxServer::ServedFile long_file;   // fetched from /slow/
        NginxServer::ServedFile short_file;  // fetched at full speed
        std::chrono::milliseconds short_pause{200};
    };
    struct Counters {
        std::uint64_t transfers = 0;  // finished, whatever the outcome
        std::uint64_t intact = 0;
        std::uint64_t corrupted = 0;    // completed with the wrong sha256
        std::uint64_t failed = 0;       // curl failed, no restart to blame
        std::uint64_t interrupted = 0;  // curl failed during its proxy's restart
    };

    explicit HttpLoad(Options options);
    ~HttpLoad();  // stop()
    HttpLoad(const HttpLoad&) = delete;
    HttpLoad& operator=(const HttpLoad&) = delete;

    // Lets the transfers under way finish, starts no more.
    void stop();
    Counters counters() const;
    // Intact transfers per route name: every route must have carried some.
    std::map<std::string, std::uint64_t> intact_by_route() const;
    // The first failures, for the report ("socks long: curl exit 56 after 3.2 s").
    std::vector<std::string> failures() const;

    // Around a deliberate restart of a route's proxy.
    void outage_begins(const std::string& route);
    void outage_ends(const std::string& route);

  private:
    using Clock = std::chrono::steady_clock;
    struct Outage {
        std::string route;
        Clock::time_point begin;
        std::optional<Clock::time_point> end;
    };
    void loop(const Route& route, bool long_transfers);
    void record(const Route& route, const char* kind, const HttpTransfer& transfer,
                const std::string& expected_sha256, Clock::time_point begin);
    bool during_outage(const std::string& route, Clock::time_point begin,
                       Clock::time_point end) const;

    Options options_;
    std::atomic<bool> stop_ = false;
    mutable std::mutex mutex_;
    Counters counters_;
    std::map<std::string, std::uint64_t> intact_by_route_;
    std::vector<std::string> failures_;
    std::vector<Outage> outages_;
    std::vector<std::thread> threads_;
};

}  // namespace shunt::test
