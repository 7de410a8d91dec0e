#include "outbound/mux/session/stream_phase.hpp"

#include <array>

namespace shunt::outbound::mux {

namespace {

using P = StreamPhase;

constexpr std::size_t kPhases = static_cast<std::size_t>(P::closed) + 1;
constexpr std::size_t kEvents = static_cast<std::size_t>(StreamEvent::reset_received) + 1;

// docs/mux.md's table, row by row (columns: result_ok, fin_sent, reset_sent, fin_received,
// reset_received). tests/outbound/mux/session/stream_phase_test.cpp reads the document's
// table and compares it with this one.
constexpr std::array<std::array<P, kEvents>, kPhases> kNext = {{
    // opening
    {P::open, P::opening_half_closed_local, P::reset_sent, P::opening_half_closed_remote,
     P::closed},
    // opening, half-closed (local)
    {P::half_closed_local, P::opening_half_closed_local, P::reset_sent, P::closed, P::closed},
    // opening, half-closed (remote)
    {P::half_closed_remote, P::closed, P::closed, P::opening_half_closed_remote,
     P::opening_half_closed_remote},
    // open
    {P::open, P::half_closed_local, P::reset_sent, P::half_closed_remote, P::closed},
    // half-closed (local)
    {P::half_closed_local, P::half_closed_local, P::reset_sent, P::closed, P::closed},
    // half-closed (remote)
    {P::half_closed_remote, P::closed, P::closed, P::half_closed_remote, P::half_closed_remote},
    // reset sent
    {P::reset_sent, P::reset_sent, P::reset_sent, P::closed, P::closed},
    // closed
    {P::closed, P::closed, P::closed, P::closed, P::closed},
}};

}  // namespace

StreamPhase next_phase(StreamPhase phase, StreamEvent event) {
    return kNext[static_cast<std::size_t>(phase)][static_cast<std::size_t>(event)];
}

std::string_view to_string(StreamPhase phase) {
    switch (phase) {
        case P::opening:
            return "opening";
        case P::opening_half_closed_local:
            return "opening, half-closed (local)";
        case P::opening_half_closed_remote:
            return "opening, half-closed (remote)";
        case P::open:
            return "open";
        case P::half_closed_local:
            return "half-closed (local)";
        case P::half_closed_remote:
            return "half-closed (remote)";
        case P::reset_sent:
            return "reset sent";
        case P::closed:
            return "closed";
    }
    return "?";
}

std::string_view to_string(StreamEvent event) {
    switch (event) {
        case StreamEvent::result_ok:
            return "OPEN_RESULT 0";
        case StreamEvent::fin_sent:
            return "FIN sent";
        case StreamEvent::reset_sent:
            return "RESET sent";
        case StreamEvent::fin_received:
            return "FIN received";
        case StreamEvent::reset_received:
            return "RESET received";
    }
    return "?";
}

}  // namespace shunt::outbound::mux
