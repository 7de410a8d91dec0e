// A real unbound serving the test zone and a real shunt in front of it, both on
// loopback ports picked at run time. Header-only: shared by the server's itest files.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "net/ip_address.hpp"
#include "tests/support/shunt_process.hpp"
#include "tests/support/unbound_server.hpp"

namespace shunt::test {

inline UnboundServer::Options test_zone() {
    UnboundServer::Options o;
    o.local_zones = {"test."};
    o.local_data = {"www.test. 300 IN A 192.0.2.1", "www.test. 300 IN MX 10 mail.test.",
                    "real.test. 300 IN A 192.0.2.7", "v6only.test. 300 IN AAAA 2001:db8::7",
                    "1.2.0.192.in-addr.arpa. 300 IN PTR www.test."};
    return o;
}

class ServerFixture : public ::testing::Test {
  protected:
    void SetUp() override {
        unbound = std::make_unique<UnboundServer>(test_zone());
        upstream_port = unbound->port();
        port = free_port();
    }

    std::string base_config(const std::string& extra_dns = "") const {
        return "[dns]\nlisten = [\"127.0.0.1:" + std::to_string(port) + "\"]\n" +
               "fake_ip_store = \"" + store_path +
               "\"\nupstreams = [\"udp://127.0.0.1:" + std::to_string(upstream_port) +
               "\"]\nupstream_timeout_ms = 1000\n" + extra_dns;
    }

    void start(const std::string& config) {
        shunt = std::make_unique<ShuntProcess>(dir, config, port);
    }

    static bool in_fake_range(const std::string& text) {
        auto a = IpAddress::parse(text);
        return a && Prefix::parse("198.18.0.0/15")->contains(*a);
    }

    TempDir dir;
    std::string store_path = dir.file("fakeip.db");
    std::unique_ptr<UnboundServer> unbound;
    std::unique_ptr<ShuntProcess> shunt;
    int port = 0;
    int upstream_port = 0;  // stays valid after unbound.reset()
};

}  // namespace shunt::test
