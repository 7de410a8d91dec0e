// A script's view of shunt's control API: curl inside a test namespace (or on the host),
// with the bearer secret, returning the status and the JSON body — exactly what a user's
// `curl -H "Authorization: Bearer ..."` sees.
#pragma once

#include <optional>
#include <string>

#include <boost/json/value.hpp>

namespace shunt::test {

struct ApiReply {
    int status = 0;  // 0: curl could not connect
    std::string body;
    // The body parsed; a test failure (and null) when it is not JSON.
    boost::json::value json() const;
};

class ApiClient {
  public:
    // `netns` "" runs curl here; `base` is "http://127.0.0.1:9090".
    ApiClient(std::string netns, std::string secret, std::string base = "http://127.0.0.1:9090")
        : netns_(std::move(netns)), secret_(std::move(secret)), base_(std::move(base)) {}

    ApiReply get(const std::string& path) const { return request("GET", path); }
    ApiReply request(const std::string& method, const std::string& path,
                     const std::string& body = "") const;
    // Live flows by network from GET /connections; nullopt when the API does not answer.
    struct FlowCounts {
        int tcp = 0;
        int udp = 0;
    };
    std::optional<FlowCounts> flow_counts() const;
    // Polls GET `path` until the API answers (any status), for at most 10 s.
    bool wait_until_up(const std::string& path = "/version") const;

  private:
    std::string netns_;
    std::string secret_;
    std::string base_;
};

}  // namespace shunt::test
