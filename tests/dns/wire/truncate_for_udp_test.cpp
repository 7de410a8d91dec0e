#include <gtest/gtest.h>

#include "dns/wire/response_writer.hpp"
#include "tests/dns/wire/ldns_packet.hpp"
#include "tests/support/malformed_queries.hpp"

namespace shunt::dns {
namespace {

using test::parse_with_ldns;
using test::rdf_text;

// A forwarded-style answer built by ldns itself: 40 TXT records, compressed owners,
// EDNS with DO and a 4096-byte payload.
std::vector<std::uint8_t> big_ldns_response() {
    ldns_rdf* qname = ldns_dname_new_frm_str("big.example.");
    ldns_pkt* pkt = ldns_pkt_query_new(qname, LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN, LDNS_RD);
    ldns_pkt_set_qr(pkt, true);
    ldns_pkt_set_ra(pkt, true);
    ldns_pkt_set_id(pkt, 77);
    for (int i = 0; i < 40; ++i) {
        ldns_rr* rr = nullptr;
        const std::string text = "big.example. 60 IN TXT \"record " + std::to_string(i) +
                                 " with some padding to make it longer\"";
        EXPECT_EQ(ldns_rr_new_frm_str(&rr, text.c_str(), 0, nullptr, nullptr), LDNS_STATUS_OK);
        ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, rr);
    }
    ldns_pkt_set_edns_udp_size(pkt, 4096);
    ldns_pkt_set_edns_do(pkt, true);
    std::uint8_t* wire = nullptr;
    std::size_t size = 0;
    EXPECT_EQ(ldns_pkt2wire(&wire, pkt, &size), LDNS_STATUS_OK);
    std::vector<std::uint8_t> out(wire, wire + size);
    std::free(wire);
    ldns_pkt_free(pkt);
    return out;
}

constexpr std::size_t kQuestionEnd = 12 + 13 + 4;  // "big.example" is 13 bytes on the wire

TEST(TruncateForUdp, LeavesAResponseThatFits) {
    auto response = big_ldns_response();
    const auto before = response;
    EXPECT_FALSE(truncate_for_udp(response, response.size()));
    EXPECT_FALSE(truncate_for_udp(response, 65535));
    EXPECT_EQ(response, before);
}

TEST(TruncateForUdp, KeepsHeaderQuestionAndOpt) {
    auto response = big_ldns_response();
    ASSERT_GT(response.size(), 2000u);
    ASSERT_TRUE(truncate_for_udp(response, 512));
    EXPECT_EQ(response.size(), kQuestionEnd + 11);
    auto pkt = parse_with_ldns(response);
    ASSERT_TRUE(pkt);
    EXPECT_TRUE(ldns_pkt_tc(pkt.get()));
    EXPECT_TRUE(ldns_pkt_qr(pkt.get()));
    EXPECT_TRUE(ldns_pkt_ra(pkt.get()));
    EXPECT_EQ(ldns_pkt_id(pkt.get()), 77);
    EXPECT_EQ(ldns_pkt_qdcount(pkt.get()), 1);
    EXPECT_EQ(ldns_pkt_ancount(pkt.get()), 0);
    EXPECT_EQ(rdf_text(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(pkt.get()), 0))),
              "big.example.");
    EXPECT_TRUE(ldns_pkt_edns(pkt.get()));
    EXPECT_EQ(ldns_pkt_edns_udp_size(pkt.get()), 4096);
    EXPECT_TRUE(ldns_pkt_edns_do(pkt.get()));
}

TEST(TruncateForUdp, DropsTheOptWhenOnlyTheQuestionFits) {
    auto response = big_ldns_response();
    ASSERT_TRUE(truncate_for_udp(response, kQuestionEnd + 10));
    EXPECT_EQ(response.size(), kQuestionEnd);
    auto pkt = parse_with_ldns(response);
    ASSERT_TRUE(pkt);
    EXPECT_TRUE(ldns_pkt_tc(pkt.get()));
    EXPECT_EQ(ldns_pkt_qdcount(pkt.get()), 1);
    EXPECT_FALSE(ldns_pkt_edns(pkt.get()));
}

TEST(TruncateForUdp, HeaderOnlyWhenTheQuestionDoesNotFit) {
    auto response = big_ldns_response();
    ASSERT_TRUE(truncate_for_udp(response, 20));
    ASSERT_EQ(response.size(), 12u);
    auto pkt = parse_with_ldns(response);
    ASSERT_TRUE(pkt);
    EXPECT_TRUE(ldns_pkt_tc(pkt.get()));
    EXPECT_EQ(ldns_pkt_qdcount(pkt.get()), 0);
    EXPECT_EQ(ldns_pkt_id(pkt.get()), 77);
}

TEST(TruncateForUdp, OurOwnBigAnswer) {
    const auto packet = test::make_query("many.example", kTypeA, {.edns = true});
    const ParseResult parse = parse_query(packet);
    ASSERT_EQ(parse.verdict, QueryVerdict::ok);
    std::vector<IpAddress> addresses;
    for (std::uint32_t i = 1; i <= 100; ++i)
        addresses.push_back(IpAddress::from_v4(0xC6120000 + i));
    std::vector<std::uint8_t> out;
    ASSERT_TRUE(write_address_answer(packet, parse.query, addresses, 1, out));
    ASSERT_EQ(parse_with_ldns(out) ? ldns_pkt_ancount(parse_with_ldns(out).get()) : 0, 100);
    ASSERT_TRUE(truncate_for_udp(out, parse.query.edns_udp_size));
    EXPECT_EQ(out.size(), packet.size());  // header, question and a bare OPT, like the query
    auto pkt = parse_with_ldns(out);
    ASSERT_TRUE(pkt);
    EXPECT_TRUE(ldns_pkt_tc(pkt.get()));
    EXPECT_EQ(ldns_pkt_edns_udp_size(pkt.get()), kAdvertisedUdpPayload);
}

TEST(TruncateForUdp, NonMessagesAndBrokenQuestions) {
    std::vector<std::uint8_t> tiny = {1, 2, 3, 4, 5, 6, 7, 8};
    EXPECT_TRUE(truncate_for_udp(tiny, 5));
    EXPECT_TRUE(tiny.empty());

    // QDCOUNT 3 but the bytes after the header are no name at all.
    std::vector<std::uint8_t> broken = {0, 1, 0x81, 0x80, 0, 3, 0, 1, 0, 0, 0, 0};
    broken.insert(broken.end(), 600, 0xFF);
    ASSERT_TRUE(truncate_for_udp(broken, 512));
    ASSERT_EQ(broken.size(), 12u);
    auto pkt = parse_with_ldns(broken);
    ASSERT_TRUE(pkt);
    EXPECT_TRUE(ldns_pkt_tc(pkt.get()));
    EXPECT_EQ(ldns_pkt_qdcount(pkt.get()), 0);
}

}  // namespace
}  // namespace shunt::dns
