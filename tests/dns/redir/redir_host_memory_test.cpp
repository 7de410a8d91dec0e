#include "dns/redir/redir_host_memory.hpp"

#include <gtest/gtest.h>

namespace shunt::dns {
namespace {

IpAddress ip(const char* text) {
    return *IpAddress::parse(text);
}

TEST(RedirHostMemory, RemembersLatestNamePerAddressWithinCapacity) {
    RedirHostMemory memory(3);
    memory.remember("a.example", {ip("192.0.2.1"), ip("2001:db8::1")});
    memory.remember("b.example", {ip("192.0.2.2")});
    EXPECT_EQ(memory.lookup(ip("192.0.2.1")), "a.example");
    EXPECT_EQ(memory.lookup(ip("2001:db8::1")), "a.example");
    // A shared CDN address: the latest answer wins.
    memory.remember("c.example", {ip("192.0.2.1")});
    EXPECT_EQ(memory.lookup(ip("192.0.2.1")), "c.example");
    // Capacity 3: the least recently answered address (2001:db8::1) goes first.
    memory.remember("d.example", {ip("192.0.2.4")});
    EXPECT_EQ(memory.size(), 3u);
    EXPECT_FALSE(memory.lookup(ip("2001:db8::1")));
    EXPECT_EQ(memory.lookup(ip("192.0.2.2")), "b.example");
    memory.set_capacity(1);
    EXPECT_EQ(memory.size(), 1u);
    EXPECT_EQ(memory.lookup(ip("192.0.2.4")), "d.example");
}

}  // namespace
}  // namespace shunt::dns
