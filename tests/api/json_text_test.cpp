// JSON written as text must parse back to what was written, whatever the bytes.
#include "api/json_text.hpp"

#include <gtest/gtest.h>

#include <limits>

#include <boost/json/parse.hpp>

namespace shunt::api {
namespace {

TEST(JsonText, StringsRoundTripThroughAParser) {
    const std::string samples[] = {
        "",
        "example.com",
        "a\"b",
        "back\\slash",
        "new\nline\ttab\rcr",
        std::string("nul\0byte", 8),
        "\x01\x1f\x7f",
        "ünïcödé 日本",
        "/usr/bin/some \"app\"",
    };
    for (const auto& sample : samples) {
        std::string out;
        append_json_string(out, sample);
        boost::system::error_code ec;
        const auto value = boost::json::parse(out, ec);
        ASSERT_FALSE(ec) << out;
        EXPECT_EQ(value.as_string(), sample) << out;
    }
}

TEST(JsonText, Numbers) {
    std::string out;
    append_json_number(out, 0);
    out += ',';
    append_json_number(out, std::numeric_limits<std::uint64_t>::max());
    EXPECT_EQ(out, "0,18446744073709551615");
}

}  // namespace
}  // namespace shunt::api
