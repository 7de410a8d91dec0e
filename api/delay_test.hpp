// Delay tests as the API runs them (docs/api.md §2.3): the `url`, `timeout` and `expected`
// query parameters checked, one probe through an outbound, or probes through every member
// of a group at once. Results go into the DelayHistory dashboards read.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "api/delay_history.hpp"
#include "api/request_target.hpp"
#include "config/config.hpp"
#include "outbound/outbound.hpp"

namespace shunt::api {

struct DelayTest {
    ProbeUrl url;
    std::chrono::milliseconds timeout{5000};
    std::vector<std::pair<int, int>> expected;  // inclusive status ranges; empty: any
};

// nullopt when a parameter is missing or malformed (400 "Body invalid"): `timeout` in
// 1..max_timeout_ms, `url` an http:// URL, `expected` like "200/204" or "200-299".
std::optional<DelayTest> parse_delay_test(const RequestTarget& target, std::int64_t max_timeout_ms);

struct DelayOutcome {
    std::optional<std::chrono::milliseconds> delay;  // set when the test passed
    bool timed_out = false;
};

// One probe through `via` (a group probes through its current member), recorded under
// `via`'s name. `done` runs once, never inline, within the test's timeout.
void run_delay_test(boost::asio::any_io_executor executor,
                    const std::shared_ptr<outbound::Outbound>& via, const DelayTest& test,
                    std::shared_ptr<DelayHistory> history,
                    std::function<void(const DelayOutcome&)> done);

// Probes through each of `members` at once; `done` gets the delays of those that passed,
// by name, when the last one is done.
void run_delay_tests(boost::asio::any_io_executor executor,
                     const std::vector<std::shared_ptr<outbound::Outbound>>& members,
                     const DelayTest& test, std::shared_ptr<DelayHistory> history,
                     std::function<void(std::map<std::string, int>)> done);

}  // namespace shunt::api
