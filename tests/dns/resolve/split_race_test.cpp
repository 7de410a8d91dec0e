#include "dns/resolve/split_race.hpp"

#include <gtest/gtest.h>

#include "tests/dns/resolve/ldns_messages.hpp"

namespace shunt::dns {
namespace {

using Winner = SplitRace::Winner;

UpstreamOutcome answer_with(std::vector<std::string> rrs, std::string source,
                            ldns_pkt_rcode rcode = LDNS_RCODE_NOERROR) {
    testing::MessageSpec spec;
    spec.answer = std::move(rrs);
    spec.rcode = rcode;
    return UpstreamOutcome{true, testing::build_message(spec), {}, std::move(source)};
}

UpstreamOutcome failure(std::string source = "") {
    UpstreamOutcome o;
    o.error = make_error_code(boost::system::errc::timed_out);
    o.source = std::move(source);
    return o;
}

class SplitRaceTest : public ::testing::Test {
  protected:
    std::shared_ptr<const IpSet> domestic_set =
        std::make_shared<IpSet>(IpSet::parse("192.0.2.0/24\n2001:db8::/32\n", "test"));
    UpstreamOutcome in_set = answer_with(
        {"example.com. 60 IN A 198.51.100.1", "example.com. 60 IN A 192.0.2.9"}, "domestic");
    UpstreamOutcome in_set_v6 = answer_with({"example.com. 60 IN AAAA 2001:db8::1"}, "domestic");
    UpstreamOutcome outside = answer_with({"example.com. 60 IN A 198.51.100.1"}, "domestic");
    UpstreamOutcome no_address = answer_with({"example.com. 60 IN TXT \"hello\""}, "domestic");
    UpstreamOutcome foreign = answer_with({"example.com. 60 IN A 203.0.113.5"}, "foreign");
};

TEST_F(SplitRaceTest, DomesticInSetWinsAtOnceEvenBeforeForeign) {
    for (auto* answer : {&in_set, &in_set_v6}) {
        SplitRace race(domestic_set);
        auto d = race.on_domestic(*answer);
        ASSERT_TRUE(d);
        EXPECT_EQ(d->winner, Winner::domestic);
        EXPECT_TRUE(d->cacheable);
        EXPECT_EQ(d->outcome.source, "domestic");
        EXPECT_FALSE(race.on_foreign(foreign));  // decided: nothing more
    }
}

TEST_F(SplitRaceTest, DomesticInSetWinsAfterForeignArrivedFirst) {
    SplitRace race(domestic_set);
    EXPECT_FALSE(race.on_foreign(foreign));  // must wait: domestic may be in the set
    auto d = race.on_domestic(in_set);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->winner, Winner::domestic);
}

TEST_F(SplitRaceTest, DomesticOutsideSetTakesForeignInEitherOrder) {
    for (auto* domestic : {&outside, &no_address}) {
        SplitRace first(domestic_set);
        EXPECT_FALSE(first.on_domestic(*domestic));
        auto d = first.on_foreign(foreign);
        ASSERT_TRUE(d);
        EXPECT_EQ(d->winner, Winner::foreign);
        EXPECT_EQ(d->outcome.source, "foreign");
        EXPECT_TRUE(d->cacheable);

        SplitRace second(domestic_set);
        EXPECT_FALSE(second.on_foreign(foreign));
        d = second.on_domestic(*domestic);
        ASSERT_TRUE(d);
        EXPECT_EQ(d->winner, Winner::foreign);
    }
}

TEST_F(SplitRaceTest, DomesticNxdomainTakesForeign) {
    SplitRace race(domestic_set);
    EXPECT_FALSE(race.on_domestic(answer_with({}, "domestic", LDNS_RCODE_NXDOMAIN)));
    auto d = race.on_foreign(foreign);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->winner, Winner::foreign);
}

TEST_F(SplitRaceTest, ForeignFailureFallsBackToDomesticWithoutCaching) {
    SplitRace race(domestic_set);
    EXPECT_FALSE(race.on_domestic(outside));
    auto d = race.on_foreign(failure());
    ASSERT_TRUE(d);
    EXPECT_EQ(d->winner, Winner::domestic);
    EXPECT_FALSE(d->cacheable);
    EXPECT_TRUE(d->outcome.good);

    SplitRace reversed(domestic_set);
    EXPECT_FALSE(reversed.on_foreign(failure()));
    d = reversed.on_domestic(outside);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->winner, Winner::domestic);
}

TEST_F(SplitRaceTest, DomesticFailureTakesForeign) {
    SplitRace race(domestic_set);
    EXPECT_FALSE(race.on_domestic(failure()));
    auto d = race.on_foreign(foreign);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->winner, Winner::foreign);
}

TEST_F(SplitRaceTest, BothFailedIsAFailurePreferringAnUpstreamAnswer) {
    SplitRace race(domestic_set);
    EXPECT_FALSE(race.on_foreign(failure("f")));
    auto d = race.on_domestic(failure("d"));
    ASSERT_TRUE(d);
    EXPECT_EQ(d->winner, Winner::neither);
    EXPECT_FALSE(d->outcome.good);
    EXPECT_TRUE(d->outcome.error);

    // A REFUSED answer from the foreign side beats a bare timeout on the domestic one.
    SplitRace with_answer(domestic_set);
    auto refused = answer_with({}, "foreign", LDNS_RCODE_REFUSED);
    refused.good = false;
    EXPECT_FALSE(with_answer.on_domestic(failure("d")));
    d = with_answer.on_foreign(refused);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->winner, Winner::neither);
    EXPECT_EQ(d->outcome.source, "foreign");
    EXPECT_FALSE(d->outcome.response.empty());
}

TEST_F(SplitRaceTest, EmptySetNeverKeepsDomestic) {
    SplitRace race(std::make_shared<IpSet>());
    EXPECT_FALSE(race.on_domestic(in_set));
    auto d = race.on_foreign(foreign);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->winner, Winner::foreign);
}

}  // namespace
}  // namespace shunt::dns
