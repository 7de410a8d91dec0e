// The clock lwIP's timers read (sys_now). With NO_SYS=1 lwIP calls it only from the
// event loop that drives it; a monotonic clock keeps timers immune to wall-clock jumps.
#include <chrono>
#include <cstdint>

extern "C" std::uint32_t sys_now(void) {
    using namespace std::chrono;
    // lwIP expects a wrapping 32-bit millisecond counter.
    return static_cast<std::uint32_t>(
        duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}
