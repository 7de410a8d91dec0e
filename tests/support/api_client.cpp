#include "tests/support/api_client.hpp"

#include <gtest/gtest.h>

#include <thread>

#include <boost/json/parse.hpp>

#include "tests/support/child_process.hpp"

namespace shunt::test {

boost::json::value ApiReply::json() const {
    boost::system::error_code ec;
    auto value = boost::json::parse(body, ec);
    EXPECT_FALSE(ec) << "not JSON (" << status << "): " << body;
    return ec ? boost::json::value() : value;
}

std::optional<ApiClient::FlowCounts> ApiClient::flow_counts() const {
    const ApiReply reply = get("/connections");
    if (reply.status != 200) return std::nullopt;
    // Parsed here, not with ApiReply::json(): the soak calls this outside any test.
    boost::system::error_code ec;
    const boost::json::value json = boost::json::parse(reply.body, ec);
    if (ec) return std::nullopt;
    FlowCounts counts;
    for (const auto& c : json.at("connections").as_array())
        ++(c.at("metadata").at("network").as_string() == "udp" ? counts.udp : counts.tcp);
    return counts;
}

ApiReply ApiClient::request(const std::string& method, const std::string& path,
                            const std::string& body) const {
    std::vector<std::string> argv = {"curl", "-s", "--max-time", "10", "-X",
                                     method, "-o", "-",          "-w", "\n%{http_code}"};
    if (!secret_.empty()) {
        argv.push_back("-H");
        argv.push_back("Authorization: Bearer " + secret_);
    }
    if (!body.empty()) {
        argv.push_back("--data-binary");
        argv.push_back(body);
    }
    argv.push_back(base_ + path);
    const auto result = run_command(argv, std::chrono::seconds(15), netns_);
    ApiReply reply;
    const auto newline = result.out.rfind('\n');
    if (newline == std::string::npos) return reply;
    reply.status = std::atoi(result.out.c_str() + newline + 1);
    reply.body = result.out.substr(0, newline);
    return reply;
}

bool ApiClient::wait_until_up(const std::string& path) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        if (request("GET", path).status != 0) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

}  // namespace shunt::test
