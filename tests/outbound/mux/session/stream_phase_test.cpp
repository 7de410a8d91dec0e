// The stream state machine against docs/mux.md: the test reads the document's state table
// ("States") and checks every cell against next_phase, so the document and the code cannot
// drift apart. Then the predicates the carrier uses, phase by phase.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "outbound/mux/session/stream_phase.hpp"

namespace shunt::outbound::mux {
namespace {

constexpr StreamPhase kPhases[] = {StreamPhase::opening,
                                   StreamPhase::opening_half_closed_local,
                                   StreamPhase::opening_half_closed_remote,
                                   StreamPhase::open,
                                   StreamPhase::half_closed_local,
                                   StreamPhase::half_closed_remote,
                                   StreamPhase::reset_sent,
                                   StreamPhase::closed};
constexpr StreamEvent kEvents[] = {StreamEvent::result_ok, StreamEvent::fin_sent,
                                   StreamEvent::reset_sent, StreamEvent::fin_received,
                                   StreamEvent::reset_received};

std::string trim(const std::string& s) {
    const auto begin = s.find_first_not_of(' ');
    const auto end = s.find_last_not_of(' ');
    return begin == std::string::npos ? "" : s.substr(begin, end - begin + 1);
}

// The cells of a markdown table row "| a | b |".
std::vector<std::string> cells(const std::string& line) {
    std::vector<std::string> out;
    std::stringstream in(line.substr(1));
    std::string cell;
    while (std::getline(in, cell, '|')) out.push_back(trim(cell));
    return out;
}

// The rows of the table that starts with "| state \ event |" in docs/mux.md.
std::vector<std::vector<std::string>> state_table() {
    std::ifstream in(std::string(SHUNT_SOURCE_DIR) + "/docs/mux.md");
    std::vector<std::vector<std::string>> rows;
    std::string line;
    bool inside = false;
    while (std::getline(in, line)) {
        if (line.rfind("| state \\ event |", 0) == 0) {
            inside = true;
            rows.push_back(cells(line));
            continue;
        }
        if (!inside) continue;
        if (line.empty() || line[0] != '|') break;
        if (line.rfind("|---", 0) == 0) continue;
        rows.push_back(cells(line));
    }
    return rows;
}

TEST(StreamPhase, FollowsTheStateTableInDocsMuxMd) {
    const auto rows = state_table();
    ASSERT_EQ(rows.size(), 1 + std::size(kPhases)) << "docs/mux.md: state table not found whole";
    ASSERT_EQ(rows[0].size(), 1 + std::size(kEvents));
    for (std::size_t e = 0; e < std::size(kEvents); ++e)
        EXPECT_EQ(rows[0][1 + e], to_string(kEvents[e])) << "column " << e + 1;
    for (std::size_t p = 0; p < std::size(kPhases); ++p) {
        const auto& row = rows[1 + p];
        ASSERT_EQ(row.size(), 1 + std::size(kEvents)) << "row " << p + 1;
        EXPECT_EQ(row[0], to_string(kPhases[p])) << "row " << p + 1;
        for (std::size_t e = 0; e < std::size(kEvents); ++e) {
            const auto next = next_phase(kPhases[p], kEvents[e]);
            const std::string expected = next == kPhases[p] ? "·" : std::string(to_string(next));
            EXPECT_EQ(row[1 + e], expected)
                << to_string(kPhases[p]) << " + " << to_string(kEvents[e]);
        }
    }
}

// Walks the phases an event sequence leads through.
StreamPhase after(std::initializer_list<StreamEvent> events) {
    auto phase = StreamPhase::opening;
    for (auto e : events) phase = next_phase(phase, e);
    return phase;
}

TEST(StreamPhase, ClosedOnlyWhenBothEndsAreSentAndReceived) {
    using E = StreamEvent;
    EXPECT_EQ(after({E::result_ok, E::fin_sent, E::fin_received}), StreamPhase::closed);
    EXPECT_EQ(after({E::fin_sent, E::result_ok, E::fin_received}), StreamPhase::closed);
    EXPECT_EQ(after({E::fin_received, E::result_ok, E::fin_sent}), StreamPhase::closed);
    // Our RESET waits for the peer's end before the id is free.
    EXPECT_EQ(after({E::result_ok, E::reset_sent}), StreamPhase::reset_sent);
    EXPECT_EQ(after({E::result_ok, E::reset_sent, E::fin_received}), StreamPhase::closed);
    // RESET after our FIN aborts the direction still open.
    EXPECT_EQ(after({E::result_ok, E::fin_sent, E::reset_sent}), StreamPhase::reset_sent);
    // A received RESET is answered: closed at once.
    EXPECT_EQ(after({E::reset_received}), StreamPhase::closed);
    EXPECT_EQ(after({E::result_ok, E::fin_sent, E::reset_received}), StreamPhase::closed);
    // Nothing reopens a closed stream.
    for (auto e : kEvents) EXPECT_EQ(next_phase(StreamPhase::closed, e), StreamPhase::closed);
}

TEST(StreamPhase, PredicatesAgreeWithTheEndsEachPhaseHasSeen) {
    for (auto p : kPhases) {
        SCOPED_TRACE(to_string(p));
        // An end already sent (received) makes another one change nothing.
        EXPECT_EQ(sent_end(p), next_phase(p, StreamEvent::fin_sent) == p);
        EXPECT_EQ(received_end(p), next_phase(p, StreamEvent::fin_received) == p);
        EXPECT_EQ(takes_data(p), !received_end(p) && p != StreamPhase::reset_sent);
        EXPECT_EQ(may_reset(p), next_phase(p, StreamEvent::reset_sent) != p);
        EXPECT_EQ(awaiting_result(p), next_phase(p, StreamEvent::result_ok) != p);
    }
    EXPECT_FALSE(sent_end(StreamPhase::open));
    EXPECT_TRUE(sent_end(StreamPhase::reset_sent));
    EXPECT_TRUE(received_end(StreamPhase::half_closed_remote));
    EXPECT_FALSE(received_end(StreamPhase::reset_sent));
}

}  // namespace
}  // namespace shunt::outbound::mux
