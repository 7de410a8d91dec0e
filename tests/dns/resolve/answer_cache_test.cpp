#include "dns/resolve/answer_cache.hpp"

#include <gtest/gtest.h>

#include "tests/dns/resolve/ldns_messages.hpp"

namespace shunt::dns {
namespace {

using namespace std::chrono_literals;
using testing::build_message;
using testing::MessageSpec;
using testing::parse_message;
using testing::section_ttls;

class AnswerCacheTest : public ::testing::Test {
  protected:
    AnswerCache make_cache(std::size_t max_entries = 4096) {
        AnswerCache::Options options;
        options.max_entries = max_entries;
        options.clock = [this] { return now_; };
        return AnswerCache(options);
    }
    void advance(std::chrono::milliseconds d) { now_ += d; }

    static CacheKey key(std::string name, std::uint16_t qtype = LDNS_RR_TYPE_A) {
        return CacheKey{std::move(name), qtype, LDNS_RR_CLASS_IN, 0};
    }

    std::chrono::steady_clock::time_point now_ = std::chrono::steady_clock::time_point{} + 1000h;
};

MessageSpec positive() {
    MessageSpec m;
    m.answer = {"example.com. 300 IN CNAME www.example.com.", "www.example.com. 100 IN A 192.0.2.1",
                "www.example.com. 100 IN A 192.0.2.2"};
    return m;
}

MessageSpec negative(ldns_pkt_rcode rcode, std::uint32_t soa_ttl, std::uint32_t minimum) {
    MessageSpec m;
    m.rcode = rcode;
    m.authority = {"example.com. " + std::to_string(soa_ttl) +
                   " IN SOA ns.example.com. host.example.com. 1 7200 900 1209600 " +
                   std::to_string(minimum)};
    return m;
}

TEST_F(AnswerCacheTest, HitHasClientIdAndTtlsLoweredByAge) {
    auto cache = make_cache();
    auto answer = build_message(positive());
    EXPECT_EQ(cache.insert(key("example.com"), answer), 100s);

    // At age 0 and with the original id, the hit is the upstream's answer byte for byte.
    EXPECT_EQ(*cache.lookup(key("example.com"), 0x1234), answer);
    auto hit = cache.lookup(key("example.com"), 0xBEEF);
    ASSERT_TRUE(hit);
    auto pkt = parse_message(*hit);
    ASSERT_TRUE(pkt);
    EXPECT_EQ(ldns_pkt_id(pkt.get()), 0xBEEF);
    EXPECT_EQ(section_ttls(pkt.get(), LDNS_SECTION_ANSWER),
              (std::vector<std::uint32_t>{300, 100, 100}));

    advance(30500ms);  // whole seconds only: 30
    pkt = parse_message(*cache.lookup(key("example.com"), 7));
    ASSERT_TRUE(pkt);
    EXPECT_EQ(ldns_pkt_id(pkt.get()), 7);
    EXPECT_EQ(section_ttls(pkt.get(), LDNS_SECTION_ANSWER),
              (std::vector<std::uint32_t>{270, 70, 70}));
    EXPECT_EQ(ldns_rr_list_rr_count(ldns_pkt_answer(pkt.get())), 3u);

    advance(69000ms);  // 99.5 s: last moment, TTL 1
    pkt = parse_message(*cache.lookup(key("example.com"), 1));
    EXPECT_EQ(section_ttls(pkt.get(), LDNS_SECTION_ANSWER),
              (std::vector<std::uint32_t>{201, 1, 1}));
    advance(500ms);  // 100 s: expired
    EXPECT_FALSE(cache.lookup(key("example.com"), 1));
    EXPECT_EQ(cache.size(), 0u);
}

TEST_F(AnswerCacheTest, OptRecordIsNotTouched) {
    auto cache = make_cache();
    auto spec = positive();
    spec.edns = true;
    spec.dnssec_ok = true;
    ASSERT_EQ(cache.insert(key("example.com"), build_message(spec)), 100s);
    advance(50s);
    auto pkt = parse_message(*cache.lookup(key("example.com"), 1));
    ASSERT_TRUE(pkt);
    EXPECT_TRUE(ldns_pkt_edns(pkt.get()));
    EXPECT_TRUE(ldns_pkt_edns_do(pkt.get()));
    EXPECT_EQ(ldns_pkt_edns_udp_size(pkt.get()), 1232);
    EXPECT_EQ(ldns_pkt_edns_extended_rcode(pkt.get()), 0);
    EXPECT_EQ(section_ttls(pkt.get(), LDNS_SECTION_ANSWER),
              (std::vector<std::uint32_t>{250, 50, 50}));
}

TEST_F(AnswerCacheTest, LifetimeIsSmallestTtlOfAllSectionsCappedAtMaxTtl) {
    auto cache = make_cache();
    auto spec = positive();
    spec.additional = {"ns.example.com. 20 IN A 192.0.2.53"};
    EXPECT_EQ(cache.insert(key("example.com"), build_message(spec)), 20s);

    MessageSpec huge;
    huge.answer = {"example.com. 999999 IN A 192.0.2.1"};
    EXPECT_EQ(cache.insert(key("example.com"), build_message(huge)), 86400s);

    MessageSpec zero;
    zero.answer = {"example.com. 0 IN A 192.0.2.1"};
    EXPECT_EQ(cache.insert(key("zero.example"), build_message(zero)), 0s);
    EXPECT_FALSE(cache.lookup(key("zero.example"), 1));
}

TEST_F(AnswerCacheTest, NegativeAnswersLiveForSoaMinimumCapped) {
    auto cache = make_cache();
    // RFC 2308 §5: min(SOA TTL, SOA MINIMUM).
    EXPECT_EQ(
        cache.insert(key("nx.example"), build_message(negative(LDNS_RCODE_NXDOMAIN, 600, 60))),
        60s);
    EXPECT_EQ(
        cache.insert(key("nx2.example"), build_message(negative(LDNS_RCODE_NXDOMAIN, 45, 60))),
        45s);
    // NODATA: NOERROR without a record of the asked type.
    EXPECT_EQ(cache.insert(key("nodata.example", LDNS_RR_TYPE_AAAA),
                           build_message(negative(LDNS_RCODE_NOERROR, 600, 120))),
              120s);
    // Capped at max_negative_ttl (300 s by default).
    EXPECT_EQ(cache.insert(key("long.example"),
                           build_message(negative(LDNS_RCODE_NXDOMAIN, 86400, 3600))),
              300s);
    // A CNAME to a name without the type is NODATA too: the SOA minimum counts.
    auto cname_nodata = negative(LDNS_RCODE_NOERROR, 3600, 30);
    cname_nodata.answer = {"example.com. 3600 IN CNAME other.example."};
    EXPECT_EQ(cache.insert(key("example.com"), build_message(cname_nodata)), 30s);
    // Without an SOA a negative answer says nothing about how long it holds.
    MessageSpec bare_nx;
    bare_nx.rcode = LDNS_RCODE_NXDOMAIN;
    EXPECT_EQ(cache.insert(key("bare.example"), build_message(bare_nx)), 0s);

    auto hit = cache.lookup(key("nx.example"), 9);
    ASSERT_TRUE(hit);
    auto pkt = parse_message(*hit);
    EXPECT_EQ(ldns_pkt_get_rcode(pkt.get()), LDNS_RCODE_NXDOMAIN);
    advance(59s);
    pkt = parse_message(*cache.lookup(key("nx.example"), 9));
    EXPECT_EQ(section_ttls(pkt.get(), LDNS_SECTION_AUTHORITY), (std::vector<std::uint32_t>{541}));
    advance(1s);
    EXPECT_FALSE(cache.lookup(key("nx.example"), 9));
}

TEST_F(AnswerCacheTest, FailuresAndTruncatedAnswersAreNeverCached) {
    auto cache = make_cache();
    for (auto rcode :
         {LDNS_RCODE_SERVFAIL, LDNS_RCODE_REFUSED, LDNS_RCODE_FORMERR, LDNS_RCODE_NOTIMPL}) {
        auto spec = positive();
        spec.rcode = rcode;
        EXPECT_EQ(cache.insert(key("example.com"), build_message(spec)), 0s) << rcode;
    }
    auto truncated = positive();
    truncated.truncated = true;
    EXPECT_EQ(cache.insert(key("example.com"), build_message(truncated)), 0s);
    auto query = positive();
    query.response = false;
    EXPECT_EQ(cache.insert(key("example.com"), build_message(query)), 0s);
    EXPECT_EQ(cache.insert(key("example.com"), std::vector<std::uint8_t>{1, 2, 3}), 0s);
    EXPECT_EQ(cache.size(), 0u);
}

TEST_F(AnswerCacheTest, EvictsLeastRecentlyUsed) {
    auto cache = make_cache(3);
    auto answer = build_message(positive());
    for (auto name : {"a", "b", "c"}) cache.insert(key(name), answer);
    ASSERT_TRUE(cache.lookup(key("a"), 1));  // a is now the most recent; b the least
    cache.insert(key("d"), answer);
    EXPECT_EQ(cache.size(), 3u);
    EXPECT_FALSE(cache.lookup(key("b"), 1));
    EXPECT_TRUE(cache.lookup(key("a"), 1));
    EXPECT_TRUE(cache.lookup(key("c"), 1));
    EXPECT_TRUE(cache.lookup(key("d"), 1));
    // Replacing an entry does not grow the cache.
    cache.insert(key("d"), answer);
    EXPECT_EQ(cache.size(), 3u);

    for (int i = 0; i < 1000; ++i) cache.insert(key("n" + std::to_string(i)), answer);
    EXPECT_EQ(cache.size(), 3u);
    EXPECT_TRUE(cache.lookup(key("n999"), 1));
    EXPECT_FALSE(cache.lookup(key("n996"), 1));

    auto disabled = make_cache(0);
    EXPECT_EQ(disabled.insert(key("a"), answer), 0s);
    EXPECT_FALSE(disabled.lookup(key("a"), 1));
}

TEST_F(AnswerCacheTest, KeyTellsTypeClassAndFlavorApart) {
    auto cache = make_cache();
    cache.insert(key("example.com"), build_message(positive()));
    EXPECT_FALSE(cache.lookup(key("example.com", LDNS_RR_TYPE_AAAA), 1));
    EXPECT_FALSE(cache.lookup(CacheKey{"example.com", LDNS_RR_TYPE_A, LDNS_RR_CLASS_CH, 0}, 1));
    EXPECT_FALSE(cache.lookup(CacheKey{"example.com", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 1}, 1));
    EXPECT_FALSE(cache.lookup(key("www.example.com"), 1));
    EXPECT_TRUE(cache.lookup(key("example.com"), 1));
}

TEST_F(AnswerCacheTest, OversizedAnswersAreNotCached) {
    AnswerCache::Options options;
    options.max_answer_bytes = 100;
    options.clock = [this] { return now_; };
    AnswerCache cache(options);
    MessageSpec big;
    for (int i = 0; i < 10; ++i)
        big.answer.push_back("example.com. 60 IN A 192.0.2." + std::to_string(i));
    EXPECT_EQ(cache.insert(key("example.com"), build_message(big)), 0s);
    MessageSpec small;
    small.answer = {"example.com. 60 IN A 192.0.2.1"};
    EXPECT_EQ(cache.insert(key("example.com"), build_message(small)), 60s);
}

}  // namespace
}  // namespace shunt::dns
