// StreamPhase: where one mux stream stands at this side, as docs/mux.md's state table
// ("States") has it — a pure function from phase and event to the next phase, and the
// questions the carrier and the stream handle ask of a phase. The carrier turns frames and
// the handle's calls into events; nothing else writes the phase.
#pragma once

#include <cstdint>
#include <string_view>

namespace shunt::outbound::mux {

enum class StreamPhase : std::uint8_t {
    opening,                     // OPEN sent / received, no OPEN_RESULT yet (DATA may already flow)
    opening_half_closed_local,   // our FIN went out before the OPEN_RESULT came
    opening_half_closed_remote,  // the peer's FIN came before we answered the OPEN
    open,
    half_closed_local,   // our FIN sent; the peer still sends
    half_closed_remote,  // the peer's FIN received; we still send
    reset_sent,          // our RESET (or refusing OPEN_RESULT) sent, the peer's end not yet here
    closed,              // both ends sent and received: the state is freed, the id reusable
};

enum class StreamEvent : std::uint8_t {
    result_ok,       // OPEN_RESULT 0 sent (server) or received (client)
    fin_sent,        // our FIN
    reset_sent,      // our RESET, or the server's refusing OPEN_RESULT
    fin_received,    // the peer's FIN
    reset_received,  // the peer's RESET, or a failed OPEN_RESULT (we answer with RESET)
};

// The next phase; the phase itself when the event changes nothing there.
StreamPhase next_phase(StreamPhase phase, StreamEvent event);

// The names docs/mux.md uses ("half-closed (local)").
std::string_view to_string(StreamPhase phase);
std::string_view to_string(StreamEvent event);

// Our end (FIN or RESET) went out: no more DATA from us.
constexpr bool sent_end(StreamPhase p) {
    return p == StreamPhase::opening_half_closed_local || p == StreamPhase::half_closed_local ||
           p == StreamPhase::reset_sent || p == StreamPhase::closed;
}
// The peer's end (FIN, RESET, failed OPEN_RESULT) arrived: no more DATA from it.
constexpr bool received_end(StreamPhase p) {
    return p == StreamPhase::opening_half_closed_remote || p == StreamPhase::half_closed_remote ||
           p == StreamPhase::closed;
}
// The peer's direction is open and we did not abort it: its DATA is delivered and its
// credit returned.
constexpr bool takes_data(StreamPhase p) {
    return p == StreamPhase::opening || p == StreamPhase::opening_half_closed_local ||
           p == StreamPhase::open || p == StreamPhase::half_closed_local;
}
// A RESET still means something: our end is not sent, or after our FIN the peer's
// direction is still open (the RESET aborts it).
constexpr bool may_reset(StreamPhase p) {
    return p != StreamPhase::reset_sent && p != StreamPhase::closed;
}
// No OPEN_RESULT yet.
constexpr bool awaiting_result(StreamPhase p) {
    return p == StreamPhase::opening || p == StreamPhase::opening_half_closed_local ||
           p == StreamPhase::opening_half_closed_remote;
}

}  // namespace shunt::outbound::mux
