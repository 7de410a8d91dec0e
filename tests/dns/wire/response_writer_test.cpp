#include "dns/wire/response_writer.hpp"

#include <gtest/gtest.h>

#include "tests/dns/wire/ldns_packet.hpp"
#include "tests/support/malformed_queries.hpp"

namespace shunt::dns {
namespace {

using test::make_query;
using test::parse_with_ldns;
using test::rdf_text;

struct ParsedQuery {
    std::vector<std::uint8_t> packet;
    Query query;
};

ParsedQuery parsed(std::string_view name, std::uint16_t qtype,
                   const test::QueryOptions& options = {}) {
    ParsedQuery result{make_query(name, qtype, options), {}};
    ParseResult parse = parse_query(result.packet);
    EXPECT_EQ(parse.verdict, QueryVerdict::ok) << parse.reason;
    result.query = parse.query;
    return result;
}

IpAddress ip(const char* text) {
    return *IpAddress::parse(text);
}

void expect_question_echoed(const ParsedQuery& q, const std::vector<std::uint8_t>& out) {
    ASSERT_GE(out.size(), q.query.question_end);
    EXPECT_TRUE(std::equal(q.packet.begin() + 12, q.packet.begin() + q.query.question_end,
                           out.begin() + 12));
}

TEST(ResponseWriter, AddressAnswerParsesWithLdns) {
    const ParsedQuery q = parsed("Example.COM", kTypeA, {.id = 0x4242});
    const std::vector<IpAddress> addresses = {ip("198.18.0.1"), ip("198.18.0.2")};
    std::vector<std::uint8_t> out;
    ASSERT_TRUE(write_address_answer(q.packet, q.query, addresses, 1, out));
    expect_question_echoed(q, out);
    EXPECT_EQ(out.size(), q.packet.size() + 2 * 16);

    auto pkt = parse_with_ldns(out);
    ASSERT_TRUE(pkt);
    EXPECT_EQ(ldns_pkt_id(pkt.get()), 0x4242);
    EXPECT_TRUE(ldns_pkt_qr(pkt.get()));
    EXPECT_TRUE(ldns_pkt_rd(pkt.get()));
    EXPECT_TRUE(ldns_pkt_ra(pkt.get()));
    EXPECT_FALSE(ldns_pkt_aa(pkt.get()));
    EXPECT_FALSE(ldns_pkt_tc(pkt.get()));
    EXPECT_EQ(ldns_pkt_get_opcode(pkt.get()), LDNS_PACKET_QUERY);
    EXPECT_EQ(ldns_pkt_get_rcode(pkt.get()), LDNS_RCODE_NOERROR);
    EXPECT_EQ(ldns_pkt_qdcount(pkt.get()), 1);
    ASSERT_EQ(ldns_pkt_ancount(pkt.get()), 2);
    EXPECT_FALSE(ldns_pkt_edns(pkt.get()));
    const ldns_rr* question = ldns_rr_list_rr(ldns_pkt_question(pkt.get()), 0);
    EXPECT_EQ(rdf_text(ldns_rr_owner(question)), "Example.COM.");  // client's case kept
    for (std::size_t i = 0; i < 2; ++i) {
        const ldns_rr* rr = ldns_rr_list_rr(ldns_pkt_answer(pkt.get()), i);
        EXPECT_EQ(ldns_rr_get_type(rr), LDNS_RR_TYPE_A);
        EXPECT_EQ(ldns_rr_get_class(rr), LDNS_RR_CLASS_IN);
        EXPECT_EQ(ldns_rr_ttl(rr), 1u);
        EXPECT_EQ(rdf_text(ldns_rr_owner(rr)), "Example.COM.");
        EXPECT_EQ(rdf_text(ldns_rr_rdf(rr, 0)), addresses[i].to_string());
    }
}

TEST(ResponseWriter, AaaaAnswerWithEdnsEchoesDnssecOk) {
    const ParsedQuery q =
        parsed("v6.example", kTypeAaaa,
               {.recursion_desired = false, .edns = true, .dnssec_ok = true, .udp_size = 4096});
    const std::vector<IpAddress> addresses = {ip("fd00::1")};
    std::vector<std::uint8_t> out;
    ASSERT_TRUE(write_address_answer(q.packet, q.query, addresses, 300, out));
    expect_question_echoed(q, out);

    auto pkt = parse_with_ldns(out);
    ASSERT_TRUE(pkt);
    EXPECT_FALSE(ldns_pkt_rd(pkt.get()));
    EXPECT_TRUE(ldns_pkt_edns(pkt.get()));
    EXPECT_EQ(ldns_pkt_edns_udp_size(pkt.get()), kAdvertisedUdpPayload);
    EXPECT_TRUE(ldns_pkt_edns_do(pkt.get()));
    EXPECT_EQ(ldns_pkt_edns_version(pkt.get()), 0);
    ASSERT_EQ(ldns_pkt_ancount(pkt.get()), 1);
    const ldns_rr* rr = ldns_rr_list_rr(ldns_pkt_answer(pkt.get()), 0);
    EXPECT_EQ(ldns_rr_get_type(rr), LDNS_RR_TYPE_AAAA);
    EXPECT_EQ(ldns_rr_ttl(rr), 300u);
    EXPECT_EQ(rdf_text(ldns_rr_rdf(rr, 0)), "fd00::1");
}

TEST(ResponseWriter, CheckingDisabledIsEchoed) {
    ParsedQuery q = parsed("example.com", kTypeA);
    q.packet[3] |= 0x10;  // CD
    q.query = parse_query(q.packet).query;
    std::vector<std::uint8_t> out;
    ASSERT_TRUE(write_empty_answer(q.packet, q.query, Rcode::noerror, out));
    auto pkt = parse_with_ldns(out);
    ASSERT_TRUE(pkt);
    EXPECT_TRUE(ldns_pkt_cd(pkt.get()));
    EXPECT_FALSE(ldns_pkt_ad(pkt.get()));
}

TEST(ResponseWriter, EmptyAnswersCarryTheirRcode) {
    const ParsedQuery q = parsed("nothing.example", kTypeAaaa, {.edns = true});
    const std::pair<Rcode, ldns_pkt_rcode> cases[] = {
        {Rcode::noerror, LDNS_RCODE_NOERROR},
        {Rcode::servfail, LDNS_RCODE_SERVFAIL},
        {Rcode::nxdomain, LDNS_RCODE_NXDOMAIN},
        {Rcode::refused, LDNS_RCODE_REFUSED},
    };
    std::vector<std::uint8_t> out;
    for (const auto& [rcode, expected] : cases) {
        ASSERT_TRUE(write_empty_answer(q.packet, q.query, rcode, out));
        expect_question_echoed(q, out);
        EXPECT_EQ(out.size(), q.packet.size());  // same question, same OPT size
        auto pkt = parse_with_ldns(out);
        ASSERT_TRUE(pkt);
        EXPECT_EQ(ldns_pkt_get_rcode(pkt.get()), expected);
        EXPECT_EQ(ldns_pkt_qdcount(pkt.get()), 1);
        EXPECT_EQ(ldns_pkt_ancount(pkt.get()), 0);
        EXPECT_EQ(ldns_pkt_nscount(pkt.get()), 0);
        EXPECT_TRUE(ldns_pkt_edns(pkt.get()));
        EXPECT_FALSE(ldns_pkt_edns_do(pkt.get()));
    }
}

TEST(ResponseWriter, PtrAnswer) {
    const ParsedQuery q = parsed("1.0.18.198.in-addr.arpa", kTypePtr, {.id = 7});
    std::vector<std::uint8_t> out;
    ASSERT_TRUE(write_ptr_answer(q.packet, q.query, "Www.Example.com", 1, out));
    expect_question_echoed(q, out);
    auto pkt = parse_with_ldns(out);
    ASSERT_TRUE(pkt);
    EXPECT_EQ(ldns_pkt_id(pkt.get()), 7);
    ASSERT_EQ(ldns_pkt_ancount(pkt.get()), 1);
    const ldns_rr* rr = ldns_rr_list_rr(ldns_pkt_answer(pkt.get()), 0);
    EXPECT_EQ(ldns_rr_get_type(rr), LDNS_RR_TYPE_PTR);
    EXPECT_EQ(rdf_text(ldns_rr_owner(rr)), "1.0.18.198.in-addr.arpa.");
    EXPECT_EQ(rdf_text(ldns_rr_rdf(rr, 0)), "Www.Example.com.");

    ASSERT_TRUE(write_ptr_answer(q.packet, q.query, "example.com.", 1, out));
    EXPECT_EQ(
        rdf_text(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(parse_with_ldns(out).get()), 0), 0)),
        "example.com.");
    ASSERT_TRUE(write_ptr_answer(q.packet, q.query, "", 1, out));
    EXPECT_EQ(
        rdf_text(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(parse_with_ldns(out).get()), 0), 0)),
        ".");

    const std::string label63(63, 'x');
    const std::string name253 =
        label63 + "." + label63 + "." + label63 + "." + std::string(61, 'y');
    ASSERT_TRUE(write_ptr_answer(q.packet, q.query, name253, 1, out));
    EXPECT_TRUE(parse_with_ldns(out));
    for (const std::string& bad : {std::string("a..b"), std::string(".a"), std::string(".."),
                                   std::string(64, 'x') + ".com", name253 + "y"}) {
        EXPECT_FALSE(write_ptr_answer(q.packet, q.query, bad, 1, out)) << bad;
        EXPECT_TRUE(out.empty()) << bad;
    }
}

TEST(ResponseWriter, ErrorRepliesEchoHeaderFields) {
    for (const auto& c : test::malformed_queries()) {
        std::vector<std::uint8_t> out = {1, 2, 3};
        if (c.bytes.size() < 12) {
            EXPECT_FALSE(write_error(c.bytes, Rcode::formerr, out)) << c.name;
            EXPECT_TRUE(out.empty()) << c.name;
            continue;
        }
        const Rcode rcode = c.expected == QueryVerdict::notimp ? Rcode::notimp : Rcode::formerr;
        ASSERT_TRUE(write_error(c.bytes, rcode, out)) << c.name;
        ASSERT_EQ(out.size(), 12u) << c.name;
        auto pkt = parse_with_ldns(out);
        ASSERT_TRUE(pkt) << c.name;
        const ParseResult parse = parse_query(c.bytes);
        EXPECT_EQ(ldns_pkt_id(pkt.get()), parse.query.id) << c.name;
        EXPECT_EQ(ldns_pkt_get_opcode(pkt.get()), parse.query.opcode) << c.name;
        EXPECT_EQ(ldns_pkt_rd(pkt.get()), parse.query.recursion_desired) << c.name;
        EXPECT_TRUE(ldns_pkt_qr(pkt.get())) << c.name;
        EXPECT_EQ(ldns_pkt_get_rcode(pkt.get()),
                  rcode == Rcode::notimp ? LDNS_RCODE_NOTIMPL : LDNS_RCODE_FORMERR)
            << c.name;
        EXPECT_EQ(ldns_pkt_qdcount(pkt.get()) + ldns_pkt_ancount(pkt.get()) +
                      ldns_pkt_nscount(pkt.get()) + ldns_pkt_arcount(pkt.get()),
                  0)
            << c.name;
    }
}

TEST(ResponseWriter, ReusesTheCallersBuffer) {
    const ParsedQuery q = parsed("example.com", kTypeA, {.edns = true});
    const std::vector<IpAddress> one = {ip("198.18.0.9")};
    std::vector<std::uint8_t> out;
    out.reserve(512);
    const std::uint8_t* storage = out.data();
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(write_address_answer(q.packet, q.query, one, 1, out));
        ASSERT_TRUE(write_empty_answer(q.packet, q.query, Rcode::noerror, out));
        ASSERT_TRUE(write_ptr_answer(q.packet, q.query, "a.example", 1, out));
    }
    EXPECT_EQ(out.data(), storage);
    EXPECT_EQ(out.capacity(), 512u);
}

TEST(ResponseWriter, RefusesAQueryThatDoesNotBelongToThePacket) {
    const ParsedQuery q = parsed("example.com", kTypeA);
    const std::vector<std::uint8_t> shorter(q.packet.begin(), q.packet.end() - 3);
    std::vector<std::uint8_t> out;
    EXPECT_FALSE(write_empty_answer(shorter, q.query, Rcode::noerror, out));
    EXPECT_TRUE(out.empty());
    const std::vector<IpAddress> one = {ip("198.18.0.9")};
    EXPECT_FALSE(write_address_answer(shorter, q.query, one, 1, out));
    EXPECT_FALSE(write_ptr_answer(shorter, q.query, "x", 1, out));
    EXPECT_FALSE(write_empty_answer(q.packet, Query{}, Rcode::noerror, out));
    // More records than a 64 KiB message holds.
    const std::vector<IpAddress> too_many(65535 / 16 + 1, ip("fd00::1"));
    EXPECT_FALSE(write_address_answer(q.packet, q.query, too_many, 1, out));
    EXPECT_TRUE(out.empty());
}

TEST(ResponseWriter, SetIdRewritesOnlyTheId) {
    const ParsedQuery q = parsed("example.com", kTypeA, {.id = 1});
    std::vector<std::uint8_t> out;
    ASSERT_TRUE(write_empty_answer(q.packet, q.query, Rcode::noerror, out));
    const std::vector<std::uint8_t> before = out;
    set_id(out, 0xFEDC);
    EXPECT_EQ(out[0], 0xFE);
    EXPECT_EQ(out[1], 0xDC);
    EXPECT_TRUE(std::equal(before.begin() + 2, before.end(), out.begin() + 2));
    std::vector<std::uint8_t> tiny = {9};
    set_id(tiny, 0xFFFF);
    EXPECT_EQ(tiny, std::vector<std::uint8_t>{9});
}

}  // namespace
}  // namespace shunt::dns
