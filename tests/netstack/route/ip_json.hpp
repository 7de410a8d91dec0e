// Reads the kernel's view through `ip -j -n NETNS ...`: the tests check what shunt did
// with the tool an administrator would use, not with shunt's own netlink code.
#pragma once

#include <boost/json.hpp>

#include <string>
#include <vector>

#include "tests/support/child_process.hpp"

namespace shunt::test {

// The parsed JSON array `ip -j -n netns ARGS...` prints; empty when the command fails.
inline boost::json::array ip_json(const std::string& netns, const std::vector<std::string>& args) {
    std::vector<std::string> argv{"ip", "-j", "-n", netns};
    argv.insert(argv.end(), args.begin(), args.end());
    const CommandResult result = run_command(argv, std::chrono::seconds(10));
    if (result.exit_code != 0 || result.out.empty()) return {};
    boost::system::error_code error;
    boost::json::value value = boost::json::parse(result.out, error);
    if (error || !value.is_array()) return {};
    return value.as_array();
}

inline std::string json_string(const boost::json::value& object, const char* key) {
    if (!object.is_object()) return {};
    const auto* found = object.as_object().if_contains(key);
    if (found == nullptr) return {};
    if (found->is_string()) return std::string(found->as_string());
    return boost::json::serialize(*found);
}

// Rules carrying shunt's marker (`ip -j rule` prints "protocol":"162"), one family.
inline std::vector<boost::json::value> shunt_rules(const std::string& netns, const char* family) {
    std::vector<boost::json::value> rules;
    for (const auto& rule : ip_json(netns, {family, "rule", "show"})) {
        if (json_string(rule, "protocol") == "162") rules.push_back(rule);
    }
    return rules;
}

// Routes carrying shunt's marker in any table, one family.
inline boost::json::array shunt_routes(const std::string& netns, const char* family) {
    return ip_json(netns, {family, "route", "show", "table", "all", "proto", "162"});
}

// One line per rule for readable failure messages.
inline std::string rules_text(const std::string& netns) {
    return run_command({"ip", "-n", netns, "rule"}).out +
           run_command({"ip", "-n", netns, "-6", "rule"}).out;
}

}  // namespace shunt::test
