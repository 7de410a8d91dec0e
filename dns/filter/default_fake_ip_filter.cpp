#include "dns/filter/default_fake_ip_filter.hpp"

#include <array>

namespace shunt::dns {

namespace {

// Why each group is here: these names are used by the OS or by peer-to-peer protocols
// that compare the resolved address with what they see on the wire, or they must
// reach a host on the local network. A fake address breaks them.
constexpr auto kDefaultFilter = std::to_array<std::string_view>({
    // Local-network names: the LAN's own resolver answers them.
    "+.lan",
    "+.local",
    "+.localdomain",
    "+.home.arpa",
    "+.internal",
    "+.localhost",
    "+.in-addr.arpa",
    "+.ip6.arpa",
    // Time: NTP is UDP to a resolved address, clocks must sync even before a proxy works.
    "+.pool.ntp.org",
    "time.*.com",
    "time.*.gov",
    "time.*.edu.cn",
    "ntp.*.com",
    "time1.*.com",
    "time2.*.com",
    "time3.*.com",
    "time4.*.com",
    "time5.*.com",
    "time6.*.com",
    "time7.*.com",
    "+.time.edu.cn",
    "+.ntp.org.cn",
    "time.windows.com",
    "time.apple.com",
    // STUN/TURN: NAT discovery compares resolved addresses with observed ones.
    "stun.*.*",
    "stun.*.*.*",
    "turn.*.*",
    "turn.*.*.*",
    // OS connectivity checks and captive-portal detection.
    "+.msftconnecttest.com",
    "+.msftncsi.com",
    "connectivitycheck.gstatic.com",
    "captive.apple.com",
    "+.connectivity-check.ubuntu.com",
    "nmcheck.gnome.org",
    "detectportal.firefox.com",
    "network-test.debian.org",
    "+.connman.net",
});

}  // namespace

std::span<const std::string_view> default_fake_ip_filter() {
    return kDefaultFilter;
}

}  // namespace shunt::dns
