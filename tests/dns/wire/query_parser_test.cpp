#include "dns/wire/query_parser.hpp"

#include <gtest/gtest.h>

#include <set>

#include "tests/support/malformed_queries.hpp"

namespace shunt::dns {
namespace {

using test::make_query;
using test::QueryOptions;

const char* verdict_name(QueryVerdict verdict) {
    switch (verdict) {
        case QueryVerdict::ok:
            return "ok";
        case QueryVerdict::formerr:
            return "formerr";
        case QueryVerdict::notimp:
            return "notimp";
        case QueryVerdict::drop:
            return "drop";
    }
    return "?";
}

TEST(QueryParser, MalformedTableGetsTheExpectedVerdicts) {
    const auto& cases = test::malformed_queries();
    ASSERT_GE(cases.size(), 25u);
    std::set<std::string> names;
    for (const auto& c : cases) {
        EXPECT_TRUE(names.insert(c.name).second) << "duplicate case name " << c.name;
        const std::vector<std::uint8_t> before = c.bytes;
        const ParseResult result = parse_query(c.bytes);
        EXPECT_EQ(verdict_name(result.verdict), std::string(verdict_name(c.expected))) << c.name;
        EXPECT_NE(result.verdict, QueryVerdict::ok) << c.name;
        ASSERT_NE(result.reason, nullptr) << c.name;
        EXPECT_GT(std::string(result.reason).size(), 0u) << c.name;
        EXPECT_TRUE(result.query.name.empty()) << c.name;
        EXPECT_EQ(c.bytes, before) << c.name;
    }
}

TEST(QueryParser, TableCoversEveryVerdict) {
    std::set<QueryVerdict> seen;
    for (const auto& c : test::malformed_queries()) seen.insert(c.expected);
    EXPECT_TRUE(seen.count(QueryVerdict::drop));
    EXPECT_TRUE(seen.count(QueryVerdict::formerr));
    EXPECT_TRUE(seen.count(QueryVerdict::notimp));
}

TEST(QueryParser, HeaderFieldsAreFilledEvenWhenRejected) {
    auto packet = make_query("example.com", 1, {.id = 0xABCD});
    packet[2] = 0x29;  // opcode UPDATE (5), RD set
    const ParseResult result = parse_query(packet);
    EXPECT_EQ(result.verdict, QueryVerdict::notimp);
    EXPECT_EQ(result.query.id, 0xABCD);
    EXPECT_EQ(result.query.opcode, 5);
    EXPECT_TRUE(result.query.recursion_desired);
}

TEST(QueryParser, PlainAQuery) {
    const auto packet = make_query("example.com", 1, {.id = 0x0102});
    const ParseResult result = parse_query(packet);
    ASSERT_EQ(result.verdict, QueryVerdict::ok) << result.reason;
    const Query& q = result.query;
    EXPECT_EQ(q.id, 0x0102);
    EXPECT_EQ(q.flags, 0x0100);
    EXPECT_TRUE(q.recursion_desired);
    EXPECT_EQ(q.opcode, 0);
    EXPECT_EQ(q.name, "example.com");
    EXPECT_EQ(q.qtype, 1);
    EXPECT_EQ(q.qclass, 1);
    EXPECT_EQ(q.question_end, packet.size());
    EXPECT_EQ(q.question_end, 12u + 13u + 4u);
    EXPECT_FALSE(q.has_edns);
    EXPECT_EQ(q.edns_udp_size, 512);
    EXPECT_FALSE(q.dnssec_ok);
    EXPECT_STREQ(result.reason, "");
}

TEST(QueryParser, AaaaWithEdnsAndDnssecOk) {
    const auto packet =
        make_query("ipv6.example", 28,
                   {.recursion_desired = false, .edns = true, .dnssec_ok = true, .udp_size = 4096});
    const ParseResult result = parse_query(packet);
    ASSERT_EQ(result.verdict, QueryVerdict::ok) << result.reason;
    EXPECT_EQ(result.query.qtype, 28);
    EXPECT_FALSE(result.query.recursion_desired);
    EXPECT_TRUE(result.query.has_edns);
    EXPECT_TRUE(result.query.dnssec_ok);
    EXPECT_EQ(result.query.edns_udp_size, 4096);
    EXPECT_EQ(result.query.edns_version, 0);
    EXPECT_EQ(result.query.question_end, packet.size() - 11);
}

TEST(QueryParser, SmallEdnsPayloadCountsAs512) {
    const ParseResult result = parse_query(make_query("a.b", 1, {.edns = true, .udp_size = 100}));
    ASSERT_EQ(result.verdict, QueryVerdict::ok);
    EXPECT_EQ(result.query.edns_udp_size, 512);
    EXPECT_FALSE(result.query.dnssec_ok);
}

TEST(QueryParser, EdnsOptionsAndVersionAreAccepted) {
    auto packet = make_query("example.com", 1, {.edns = true});
    // A client cookie option (code 10, 8 bytes), and EDNS version 1.
    const std::vector<std::uint8_t> cookie = {0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
    packet[packet.size() - 2] = 0;
    packet[packet.size() - 1] = static_cast<std::uint8_t>(cookie.size());
    packet[packet.size() - 5] = 1;  // version byte of the OPT TTL
    packet.insert(packet.end(), cookie.begin(), cookie.end());
    const ParseResult result = parse_query(packet);
    ASSERT_EQ(result.verdict, QueryVerdict::ok) << result.reason;
    EXPECT_EQ(result.query.edns_version, 1);
}

TEST(QueryParser, RootName) {
    const auto packet = make_query("", 2);
    ASSERT_EQ(packet.size(), 12u + 1u + 4u);
    const ParseResult result = parse_query(packet);
    ASSERT_EQ(result.verdict, QueryVerdict::ok) << result.reason;
    EXPECT_EQ(result.query.name, "");
    EXPECT_EQ(result.query.qtype, 2);
    EXPECT_EQ(result.query.question_end, 17u);
}

TEST(QueryParser, MixedCaseIsNormalised) {
    const ParseResult result = parse_query(make_query("WwW.ExAmPlE.CoM", 1));
    ASSERT_EQ(result.verdict, QueryVerdict::ok);
    EXPECT_EQ(result.query.name, "www.example.com");
}

TEST(QueryParser, UnusualButPrintableLabelBytesPass) {
    const ParseResult result = parse_query(make_query("_sip._tcp.*.ex-ample.COM", 33));
    ASSERT_EQ(result.verdict, QueryVerdict::ok) << result.reason;
    EXPECT_EQ(result.query.name, "_sip._tcp.*.ex-ample.com");
}

TEST(QueryParser, NameExactlyAtTheLimits) {
    // 63-byte labels; 64 * 3 + 62 + 1 = 255 bytes on the wire, 253 characters of text.
    const std::string name = std::string(63, 'A') + "." + std::string(63, 'b') + "." +
                             std::string(63, 'c') + "." + std::string(61, 'd');
    const auto packet = make_query(name, 1);
    ASSERT_EQ(packet.size(), 12u + 255u + 4u);
    const ParseResult result = parse_query(packet);
    ASSERT_EQ(result.verdict, QueryVerdict::ok) << result.reason;
    EXPECT_EQ(result.query.name.size(), 253u);
    EXPECT_EQ(result.query.name.substr(0, 3), "aaa");

    // One more byte anywhere is over the limit.
    const auto over = make_query(name + "d", 1);
    EXPECT_EQ(parse_query(over).verdict, QueryVerdict::formerr);
}

TEST(QueryParser, ReusedResultKeepsItsNameCapacity) {
    ParseResult result;
    const std::string long_name = std::string(60, 'x') + ".example.com";
    parse_query(make_query(long_name, 1), result);
    ASSERT_EQ(result.verdict, QueryVerdict::ok);
    const std::size_t capacity = result.query.name.capacity();
    const char* storage = result.query.name.data();

    parse_query(make_query("short.example", 1), result);
    ASSERT_EQ(result.verdict, QueryVerdict::ok);
    EXPECT_EQ(result.query.name, "short.example");
    EXPECT_EQ(result.query.name.capacity(), capacity);
    EXPECT_EQ(result.query.name.data(), storage);

    // A rejected packet clears the previous query's fields.
    parse_query(test::malformed_queries().front().bytes, result);
    EXPECT_EQ(result.verdict, QueryVerdict::drop);
    EXPECT_TRUE(result.query.name.empty());
    EXPECT_EQ(result.query.qtype, 0);
    EXPECT_FALSE(result.query.has_edns);
}

TEST(QueryParser, EveryTruncationOfAGoodQueryIsRejected) {
    const auto packet = make_query("www.example.com", 1, {.edns = true, .dnssec_ok = true});
    ASSERT_EQ(parse_query(packet).verdict, QueryVerdict::ok);
    for (std::size_t size = 0; size < packet.size(); ++size) {
        const std::span<const std::uint8_t> prefix(packet.data(), size);
        const QueryVerdict expected = size < 12 ? QueryVerdict::drop : QueryVerdict::formerr;
        EXPECT_EQ(parse_query(prefix).verdict, expected) << "size " << size;
    }
}

}  // namespace
}  // namespace shunt::dns
