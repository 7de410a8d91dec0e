// The answer checks every transport relies on to reject stray and spoofed replies.
#include "dns/upstream/message_check.hpp"

#include <gtest/gtest.h>

namespace shunt::dns::message {
namespace {

std::vector<std::uint8_t> answer_to(std::vector<std::uint8_t> query) {
    query[2] |= 0x80;  // QR
    return query;
}

TEST(MessageCheck, MakeQueryEncodesNameTypeAndRecursion) {
    auto q = make_query(0xBEEF, "www.Example.test.", 28);
    std::vector<std::uint8_t> expected = {
        0xBE, 0xEF, 0x01, 0x00, 0,   1,   0,   0, 0,   0,   0,   0,   3, 'w', 'w', 'w', 7,
        'E',  'x',  'a',  'm',  'p', 'l', 'e', 4, 't', 'e', 's', 't', 0, 0,   28,  0,   1};
    EXPECT_EQ(q, expected);
    EXPECT_TRUE(is_valid_query(q));
    EXPECT_EQ(id(q), 0xBEEF);
}

TEST(MessageCheck, MakeQueryRejectsBadNames) {
    EXPECT_TRUE(make_query(1, "a..b", 1).empty());
    EXPECT_TRUE(make_query(1, std::string(64, 'a') + ".test", 1).empty());
    std::string long_name;
    for (int i = 0; i < 50; ++i) long_name += "abcde.";
    EXPECT_TRUE(make_query(1, long_name, 1).empty());
}

TEST(MessageCheck, AcceptsTheMatchingAnswerIgnoringCase) {
    auto query = make_query(7, "www.test", 1);
    auto answer = answer_to(make_query(7, "WWW.Test", 1));
    EXPECT_EQ(check_answer(query, answer), AnswerCheck::ok);
}

TEST(MessageCheck, RejectsOtherIdQuestionTypeOrClass) {
    auto query = make_query(7, "www.test", 1);
    EXPECT_EQ(check_answer(query, answer_to(make_query(8, "www.test", 1))), AnswerCheck::mismatch);
    EXPECT_EQ(check_answer(query, answer_to(make_query(7, "ww.test", 1))), AnswerCheck::mismatch);
    EXPECT_EQ(check_answer(query, answer_to(make_query(7, "www.test", 28))), AnswerCheck::mismatch);
    auto other_class = answer_to(make_query(7, "www.test", 1));
    other_class.back() = 3;  // CH
    EXPECT_EQ(check_answer(query, other_class), AnswerCheck::mismatch);
}

// Regression (found by fuzz_dns_answer): type and class bytes were compared ignoring ASCII
// case like the name, so an answer for type 97 (0x61, 'a') was taken for an HTTPS query
// (type 65, 0x41, 'A') and reached the client and the cache under the HTTPS key.
TEST(MessageCheck, TypeAndClassBytesAreNotCaseFolded) {
    auto query = make_query(7, "www.test", 65);
    EXPECT_EQ(check_answer(query, answer_to(make_query(7, "WWW.test", 65))), AnswerCheck::ok);
    EXPECT_EQ(check_answer(query, answer_to(make_query(7, "www.test", 97))), AnswerCheck::mismatch);
    auto query_class = make_query(7, "www.test", 1);
    query_class.back() = 'A';  // class 0x0041
    auto answer_class = answer_to(query_class);
    answer_class.back() = 'a';
    EXPECT_EQ(check_answer(query_class, answer_class), AnswerCheck::mismatch);
}

TEST(MessageCheck, RejectsQueriesShortMessagesAndCompressedQuestions) {
    auto query = make_query(7, "www.test", 1);
    EXPECT_EQ(check_answer(query, query), AnswerCheck::malformed);  // QR clear
    EXPECT_EQ(check_answer(query, std::vector<std::uint8_t>(11, 0x80)), AnswerCheck::malformed);
    auto compressed = answer_to(make_query(7, "www.test", 1));
    compressed.resize(12);
    compressed.insert(compressed.end(), {0xC0, 0x0C, 0, 1, 0, 1});
    EXPECT_EQ(check_answer(query, compressed), AnswerCheck::malformed);
    auto cut = answer_to(query);
    cut.resize(cut.size() - 3);
    EXPECT_EQ(check_answer(query, cut), AnswerCheck::malformed);
}

TEST(MessageCheck, QuestionlessAnswerOnlyAsAnError) {
    auto query = make_query(7, "www.test", 1);
    std::vector<std::uint8_t> header(query.begin(), query.begin() + 12);
    header[2] |= 0x80;
    header[5] = 0;  // QDCOUNT 0
    EXPECT_EQ(check_answer(query, header), AnswerCheck::mismatch);
    header[3] = (header[3] & 0xF0) | 1;  // FORMERR
    EXPECT_EQ(check_answer(query, header), AnswerCheck::ok);
}

TEST(MessageCheck, ValidQueryNeedsExactlyOneQuestion) {
    auto query = make_query(7, "www.test", 1);
    EXPECT_TRUE(is_valid_query(query));
    auto two = query;
    two[5] = 2;
    EXPECT_FALSE(is_valid_query(two));
    EXPECT_FALSE(is_valid_query(std::span(query).first(20)));
}

TEST(MessageCheck, IdAndTruncationBits) {
    auto query = make_query(7, "www.test", 1);
    set_id(query, 0x1234);
    EXPECT_EQ(id(query), 0x1234);
    EXPECT_FALSE(is_truncated(query));
    query[2] |= 0x02;
    EXPECT_TRUE(is_truncated(query));
}

}  // namespace
}  // namespace shunt::dns::message
