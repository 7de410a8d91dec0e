// RequestTarget: path segments decoded once each on the raw path, the query decoded as
// forms encode it, and bad escapes refused (docs/api.md §1.1).
#include "api/request_target.hpp"

#include <gtest/gtest.h>

namespace shunt::api {
namespace {

using Segments = std::vector<std::string>;

TEST(RequestTarget, SplitsThePathBeforeDecodingEachSegmentOnce) {
    EXPECT_EQ(RequestTarget::parse("/")->segments, Segments{""});
    EXPECT_EQ(RequestTarget::parse("/proxies")->segments, Segments{"proxies"});
    EXPECT_EQ(RequestTarget::parse("/proxies/a%2Fb/delay")->segments,
              (Segments{"proxies", "a/b", "delay"}))
        << "an encoded slash stays inside the name";
    EXPECT_EQ(RequestTarget::parse("/proxies/%E6%97%A5%E6%9C%AC")->segments,
              (Segments{"proxies", "日本"}));
    EXPECT_EQ(RequestTarget::parse("/proxies/日本 1|a+b")->segments,
              (Segments{"proxies", "日本 1|a+b"}))
        << "unencoded names work, and '+' in a path is a plus";
    EXPECT_EQ(RequestTarget::parse("/proxies/%2541")->segments, (Segments{"proxies", "%41"}))
        << "decoded once, not twice";
    EXPECT_EQ(RequestTarget::parse("/ui/")->segments, (Segments{"ui", ""}));
}

TEST(RequestTarget, DecodesTheQueryAsFormsEncodeIt) {
    const auto target = RequestTarget::parse(
        "/proxies/x/delay?url=http%3A%2F%2Fa.test%2F&timeout=5000&name=a+b&flag&timeout=1");
    ASSERT_TRUE(target);
    EXPECT_EQ(target->parameter("url"), "http://a.test/");
    EXPECT_EQ(target->parameter("timeout"), "5000") << "the first of repeated parameters";
    EXPECT_EQ(target->parameter("name"), "a b");
    EXPECT_EQ(target->parameter("flag"), "");
    EXPECT_EQ(target->parameter("missing"), std::nullopt);
    EXPECT_EQ(RequestTarget::parse("/x?token=a%2Bb")->parameter("token"), "a+b");
}

TEST(RequestTarget, RefusesWhatIsNotAnOriginFormTargetOrHasBadEscapes) {
    for (const char* bad :
         {"", "proxies", "http://a/", "/a%", "/a%4", "/a%zz", "/x?a=%G0", "/x?%=1"})
        EXPECT_FALSE(RequestTarget::parse(bad)) << bad;
}

TEST(PercentDecode, PlusIsASpaceOnlyWhereAsked) {
    EXPECT_EQ(percent_decode("a+b%20c", true), "a b c");
    EXPECT_EQ(percent_decode("a+b%20c", false), "a+b c");
    EXPECT_EQ(percent_decode("%00", false), std::string(1, '\0'));
    EXPECT_EQ(percent_decode("%", false), std::nullopt);
}

}  // namespace
}  // namespace shunt::api
