#include "dns/resolve/client_query.hpp"

#include <gtest/gtest.h>

#include <set>

#include "dns/resolve/message_scan.hpp"
#include "tests/dns/resolve/ldns_messages.hpp"

namespace shunt::dns {
namespace {

using testing::build_message;
using testing::MessageSpec;
using testing::parse_message;

MessageSpec client_spec() {
    MessageSpec q;
    q.qname = "WwW.ExAmple.COM.";
    q.qtype = LDNS_RR_TYPE_TXT;
    q.id = 0xABCD;
    q.response = false;
    return q;
}

TEST(ClientQuery, UpstreamQueryIsCanonical) {
    auto spec = client_spec();
    spec.recursion_desired = false;  // still asked recursively upstream
    auto client = ClientQuery::from_wire(build_message(spec));
    ASSERT_TRUE(client);
    EXPECT_EQ(client->id(), 0xABCD);
    auto pkt = parse_message(client->upstream_query(0x0102));
    ASSERT_TRUE(pkt);
    EXPECT_EQ(ldns_pkt_id(pkt.get()), 0x0102);
    EXPECT_FALSE(ldns_pkt_qr(pkt.get()));
    EXPECT_TRUE(ldns_pkt_rd(pkt.get()));
    EXPECT_FALSE(ldns_pkt_cd(pkt.get()));
    EXPECT_FALSE(ldns_pkt_edns(pkt.get()));
    EXPECT_EQ(testing::question_name(pkt.get()), "www.example.com.");
    EXPECT_EQ(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(pkt.get()), 0)), LDNS_RR_TYPE_TXT);
    EXPECT_EQ(ldns_pkt_arcount(pkt.get()), 0);
}

TEST(ClientQuery, EdnsDoAndCdAreKeptAndFormTheFlavor) {
    auto plain = ClientQuery::from_wire(build_message(client_spec()));
    auto spec = client_spec();
    spec.edns = true;
    auto edns = ClientQuery::from_wire(build_message(spec));
    spec.dnssec_ok = true;
    auto dnssec = ClientQuery::from_wire(build_message(spec));
    spec.checking_disabled = true;
    auto cd = ClientQuery::from_wire(build_message(spec));
    ASSERT_TRUE(plain && edns && dnssec && cd);
    std::set<int> flavors = {plain->flavor(), edns->flavor(), dnssec->flavor(), cd->flavor()};
    EXPECT_EQ(flavors.size(), 4u);

    auto pkt = parse_message(cd->upstream_query(1));
    ASSERT_TRUE(pkt);
    EXPECT_TRUE(ldns_pkt_edns(pkt.get()));
    EXPECT_TRUE(ldns_pkt_edns_do(pkt.get()));
    EXPECT_TRUE(ldns_pkt_cd(pkt.get()));
    EXPECT_EQ(ldns_pkt_edns_udp_size(pkt.get()), ClientQuery::kUpstreamUdpPayload);
}

TEST(ClientQuery, ClientOptionsDoNotReachUpstream) {
    // A DNS cookie (option 10) in the client's OPT must not be forwarded: the answer is
    // cached for other clients.
    auto spec = client_spec();
    auto wire = build_message(spec);
    const std::uint8_t opt_with_cookie[] = {0,  0, 41, 0x10, 0, 0, 0, 0, 0, 0, 12, 0,
                                            10, 0, 8,  1,    2, 3, 4, 5, 6, 7, 8};
    wire.insert(wire.end(), std::begin(opt_with_cookie), std::end(opt_with_cookie));
    wire[11] = 1;  // ARCOUNT
    auto client = ClientQuery::from_wire(wire);
    ASSERT_TRUE(client);
    auto upstream = client->upstream_query(5);
    auto pkt = parse_message(upstream);
    ASSERT_TRUE(pkt);
    EXPECT_TRUE(ldns_pkt_edns(pkt.get()));
    EXPECT_EQ(ldns_pkt_edns_data(pkt.get()), nullptr);
    EXPECT_EQ(upstream.size(), 12u + 17u + 4u + 11u);  // header, question, bare OPT
}

TEST(ClientQuery, MalformedAdditionalDataMeansNoEdns) {
    auto wire = build_message(client_spec());
    wire[11] = 1;  // ARCOUNT 1, but nothing follows
    auto client = ClientQuery::from_wire(wire);
    ASSERT_TRUE(client);
    EXPECT_FALSE(parse_message(client->upstream_query(1)) == nullptr);
    EXPECT_FALSE(ldns_pkt_edns(parse_message(client->upstream_query(1)).get()));
    EXPECT_FALSE(ClientQuery::from_wire(std::vector<std::uint8_t>(11, 0)));
}

TEST(ClientQuery, AdaptAnswerRestoresIdRdAndQuestionSpelling) {
    auto spec = client_spec();
    auto client = ClientQuery::from_wire(build_message(spec));
    ASSERT_TRUE(client);
    MessageSpec answer_spec;
    answer_spec.qname = "www.example.com.";
    answer_spec.qtype = LDNS_RR_TYPE_TXT;
    answer_spec.id = 0x0102;
    answer_spec.authenticated_data = true;
    answer_spec.answer = {"www.example.com. 60 IN TXT \"x\""};
    auto answer = build_message(answer_spec);
    client->adapt_answer(answer);
    auto pkt = parse_message(answer);
    ASSERT_TRUE(pkt);
    EXPECT_EQ(ldns_pkt_id(pkt.get()), 0xABCD);
    EXPECT_EQ(testing::question_name(pkt.get()), "WwW.ExAmple.COM.");
    EXPECT_TRUE(ldns_pkt_rd(pkt.get()));
    EXPECT_FALSE(ldns_pkt_ad(pkt.get()));  // the client asked for neither AD nor DO
    EXPECT_EQ(ldns_rr_list_rr_count(ldns_pkt_answer(pkt.get())), 1u);

    // A client that sets AD keeps the upstream's AD bit.
    spec.authenticated_data = true;
    auto ad_client = ClientQuery::from_wire(build_message(spec));
    answer = build_message(answer_spec);
    ad_client->adapt_answer(answer);
    EXPECT_TRUE(ldns_pkt_ad(parse_message(answer).get()));

    // An answer for another name keeps its own question.
    answer_spec.qname = "other.example.";
    answer = build_message(answer_spec);
    client->adapt_answer(answer);
    EXPECT_EQ(testing::question_name(parse_message(answer).get()), "other.example.");
}

TEST(ClientQuery, ForNameBuildsAnEdnsQuery) {
    auto client = ClientQuery::for_name("Example.COM.", kTypeAaaa);
    ASSERT_TRUE(client);
    auto pkt = parse_message(client->upstream_query(9));
    ASSERT_TRUE(pkt);
    EXPECT_EQ(testing::question_name(pkt.get()), "example.com.");
    EXPECT_EQ(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(pkt.get()), 0)),
              LDNS_RR_TYPE_AAAA);
    EXPECT_TRUE(ldns_pkt_edns(pkt.get()));
    EXPECT_FALSE(ldns_pkt_edns_do(pkt.get()));
    auto root = ClientQuery::for_name("", 2);
    ASSERT_TRUE(root);
    EXPECT_EQ(testing::question_name(parse_message(root->upstream_query(1)).get()), ".");
    EXPECT_FALSE(ClientQuery::for_name("bad..name", kTypeA));
}

TEST(MessageScan, FindsRecordsAddressesAndRejectsMalformedMessages) {
    MessageSpec spec;
    spec.edns = true;
    spec.answer = {"example.com. 60 IN CNAME a.example.com.", "a.example.com. 60 IN A 192.0.2.1",
                   "a.example.com. 60 IN AAAA 2001:db8::1"};
    spec.authority = {"example.com. 70 IN NS ns.example.com."};
    auto wire = build_message(spec);
    auto scanned = scan_message(wire);
    ASSERT_TRUE(scanned);
    EXPECT_EQ(scanned->records.size(), 5u);
    ASSERT_NE(scanned->opt(), nullptr);
    EXPECT_EQ(scanned->opt()->klass, 1232);
    auto addresses = scanned_addresses(wire, *scanned);
    ASSERT_EQ(addresses.size(), 2u);
    EXPECT_EQ(addresses[0].to_string(), "192.0.2.1");
    EXPECT_EQ(addresses[1].to_string(), "2001:db8::1");

    // Every truncation of a valid message is rejected, never read past its end.
    for (std::size_t size = 0; size < wire.size(); ++size)
        EXPECT_FALSE(scan_message(std::span(wire.data(), size))) << size;
    // Absurd counts.
    auto bad = wire;
    bad[6] = 0xFF;
    EXPECT_FALSE(scan_message(bad));
    // Label type 0x40 in the question.
    bad = wire;
    bad[12] = 0x41;
    EXPECT_FALSE(scan_message(bad));
    // QDCOUNT other than 1.
    bad = wire;
    bad[5] = 2;
    EXPECT_FALSE(scan_message(bad));
}

}  // namespace
}  // namespace shunt::dns
