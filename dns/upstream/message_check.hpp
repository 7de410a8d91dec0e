// The few wire-format facts the upstream transports need, read straight from the
// bytes: the id, the TC bit, and whether an answer really answers a query. Cheap
// enough to run on every datagram, so a spoofed or stray reply can be skipped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace shunt::dns::message {

inline constexpr std::size_t kHeaderSize = 12;

std::uint16_t id(std::span<const std::uint8_t> message);
void set_id(std::span<std::uint8_t> message, std::uint16_t id);
bool is_truncated(std::span<const std::uint8_t> message);

// True for a message with a header and exactly one well-formed question.
bool is_valid_query(std::span<const std::uint8_t> query);

enum class AnswerCheck { ok, malformed, mismatch };

// `answer` must be a response (QR set) with the query's id and the same question
// (name compared case-insensitively, type and class equal). A response without a
// question is accepted only as an error answer (FORMERR, SERVFAIL, NOTIMP, REFUSED).
AnswerCheck check_answer(std::span<const std::uint8_t> query, std::span<const std::uint8_t> answer);

// A recursive (RD) query for `name` (presentation form, no trailing dot needed) of
// `type`, class IN. Empty when the name does not fit DNS limits.
std::vector<std::uint8_t> make_query(std::uint16_t id, std::string_view name, std::uint16_t type);

}  // namespace shunt::dns::message
