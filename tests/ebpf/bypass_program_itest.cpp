// The kernel program itself, through BPF_PROG_TEST_RUN: real packets, the real verifier,
// the real maps. Each case builds an Ethernet frame and checks the mark the program left.
#include "ebpf/bypass_program.hpp"

#include "tests/support/ethernet_frame.hpp"

#include <gtest/gtest.h>
#include <linux/pkt_cls.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace shunt::ebpf {
namespace {

using test::Frame;

constexpr std::uint32_t kMark = 0x162;
constexpr int kUnspec = TC_ACT_UNSPEC;

Prefix prefix(const char* text) {
    return Prefix::parse(text).value();
}

IpAddress ip(const char* text) {
    return IpAddress::parse(text).value();
}

// A TCP SYN from a LAN host's IPv6 address to `destination`.
Frame v6_to(const char* destination) {
    Frame f;
    f.source = "2001:db8:ffff::1";
    f.destination = destination;
    return f;
}

class BypassProgramTest : public ::testing::Test {
  protected:
    void SetUp() override {
        program_ = std::make_unique<BypassProgram>(BypassProgram::Sizes{.flows = 1024});
        settings_.enabled = true;
        settings_.routing_mark = kMark;
        settings_.fake_range = prefix("198.18.0.0/15");
        settings_.fake_range6 = prefix("fc00::/18");
        settings_.hijack_ports = {53};
        program_->configure(settings_);
        // The fake ranges are in the set on purpose: the program's own guard must hold.
        program_->replace_set({prefix("203.0.113.0/24"), prefix("198.18.0.0/15"),
                               prefix("2001:db8::/32"), prefix("fc00::/16")});
    }

    std::uint32_t mark_of(const Frame& frame, std::uint32_t before = 0) {
        const auto bytes = frame.bytes();
        TestRunResult r;
        try {
            r = program_->test_tc(bytes, before);
        } catch (const EbpfError& e) {
            ADD_FAILURE() << e.what() << " for a frame of " << bytes.size() << " bytes";
        }
        EXPECT_EQ(r.action, kUnspec) << "the program must never drop or redirect";
        return r.mark;
    }

    std::unique_ptr<BypassProgram> program_;
    ProgramSettings settings_;
};

TEST_F(BypassProgramTest, MarksTcpAndUdpToTheSet) {
    EXPECT_EQ(mark_of(Frame{}), kMark);
    Frame udp;
    udp.protocol = 17;
    udp.destination_port = 443;
    EXPECT_EQ(mark_of(udp), kMark);
    Frame v6 = v6_to("2001:db8::80");
    EXPECT_EQ(mark_of(v6), kMark);
}

TEST_F(BypassProgramTest, LeavesEverythingElseAlone) {
    Frame miss;
    miss.destination = "203.0.114.1";
    EXPECT_EQ(mark_of(miss), 0u);
    Frame miss6 = v6_to("2001:db9::1");
    EXPECT_EQ(mark_of(miss6), 0u);
    Frame icmp;
    icmp.protocol = 1;
    EXPECT_EQ(mark_of(icmp), 0u);
    // A mark somebody else set stays as it is.
    EXPECT_EQ(mark_of(Frame{}, 7), 7u);
}

TEST_F(BypassProgramTest, FakeRangesAreNeverMarked) {
    Frame fake;
    fake.destination = "198.19.0.7";
    EXPECT_EQ(mark_of(fake), 0u);
    Frame fake6 = v6_to("fc00::9");
    EXPECT_EQ(mark_of(fake6), 0u);
    Frame outside_fake6 = fake6;
    outside_fake6.destination = "fc00:4000::9";  // in the set, outside fc00::/18
    EXPECT_EQ(mark_of(outside_fake6), kMark);
}

TEST_F(BypassProgramTest, DnsHijackPortsAreNeverMarked) {
    for (std::uint8_t protocol : {std::uint8_t{6}, std::uint8_t{17}}) {
        Frame dns;
        dns.protocol = protocol;
        dns.destination_port = 53;
        EXPECT_EQ(mark_of(dns), 0u) << int(protocol);
    }
    Frame other;
    other.destination_port = 853;
    EXPECT_EQ(mark_of(other), kMark);
}

TEST_F(BypassProgramTest, FragmentsAndUnreadablePortsStayOnTheTun) {
    Frame more_fragments;
    more_fragments.fragment = 0x2000;  // MF, offset 0: the first fragment has the ports
    EXPECT_EQ(mark_of(more_fragments), 0u);
    Frame later_fragment;
    later_fragment.fragment = 0x0010;
    EXPECT_EQ(mark_of(later_fragment), 0u);
    Frame dont_fragment;
    dont_fragment.fragment = 0x4000;  // DF is not a fragment
    EXPECT_EQ(mark_of(dont_fragment), kMark);

    Frame v6 = v6_to("2001:db8::80");
    Frame hop_by_hop = v6;
    hop_by_hop.ext6 = {0, 60};  // hop-by-hop, destination options: read through
    EXPECT_EQ(mark_of(hop_by_hop), kMark);
    Frame routing = v6;
    routing.ext6 = {43};
    EXPECT_EQ(mark_of(routing), kMark);
    Frame fragment6 = v6;
    fragment6.ext6 = {44};
    EXPECT_EQ(mark_of(fragment6), 0u);
    Frame esp = v6;
    esp.ext6 = {50};
    EXPECT_EQ(mark_of(esp), 0u);
    Frame too_many = v6;
    too_many.ext6 = {0, 60, 60, 60, 60, 60, 60};
    EXPECT_EQ(mark_of(too_many), 0u);
}

TEST_F(BypassProgramTest, TruncatedAndMalformedPackets) {
    // The kernel's test run refuses frames shorter than the IP header itself, so the
    // cuts end inside or right at the start of the TCP header.
    for (std::size_t cut : {1u, 10u, 19u, 20u}) {
        Frame tcp;
        tcp.cut = cut;
        EXPECT_EQ(mark_of(tcp), 0u) << "cut " << cut;
    }
    Frame udp;
    udp.protocol = 17;
    udp.cut = 5;
    EXPECT_EQ(mark_of(udp), 0u);
    Frame v6 = v6_to("2001:db8::80");
    v6.ext6 = {0};
    v6.cut = 25;  // inside the TCP header after an extension header
    EXPECT_EQ(mark_of(v6), 0u);
    // Wrong version nibble, header length below 5 words, then plain garbage.
    auto bytes = Frame{}.bytes();
    bytes[14] = 0x65;
    EXPECT_EQ(program_->test_tc(bytes).mark, 0u);
    bytes[14] = 0x44;
    EXPECT_EQ(program_->test_tc(bytes).mark, 0u);
    // A header length pointing past the end: the ports cannot be read.
    bytes[14] = 0x4f;
    EXPECT_EQ(program_->test_tc(bytes).mark, 0u);
    std::vector<std::uint8_t> garbage(60, 0xff);
    garbage[12] = 0x08;
    garbage[13] = 0x00;
    EXPECT_EQ(program_->test_tc(garbage).mark, 0u);
    std::vector<std::uint8_t> arp(60, 0);
    arp[12] = 0x08;
    arp[13] = 0x06;
    EXPECT_EQ(program_->test_tc(arp).mark, 0u);
}

TEST_F(BypassProgramTest, VlanTagsInTheFrame) {
    Frame tagged;
    tagged.vlan_tpids = {0x8100};
    EXPECT_EQ(mark_of(tagged), kMark);
    Frame qinq;
    qinq.vlan_tpids = {0x88a8, 0x8100};
    EXPECT_EQ(mark_of(qinq), kMark);
    Frame miss = qinq;
    miss.destination = "203.0.114.1";
    EXPECT_EQ(mark_of(miss), 0u);
    Frame three;
    three.vlan_tpids = {0x88a8, 0x8100, 0x8100};
    EXPECT_EQ(mark_of(three), 0u);
}

TEST_F(BypassProgramTest, AFlowKeepsItsFirstPathAcrossASetChange) {
    Frame syn;
    syn.source_port = 41000;
    Frame data = syn;
    data.syn = false;
    EXPECT_EQ(mark_of(syn), kMark);
    program_->replace_set({prefix("2001:db8::/32")});  // 203.0.113.0/24 no longer bypasses
    EXPECT_EQ(mark_of(data), kMark) << "a live flow moved off its path";
    Frame other = data;
    other.source_port = 41001;  // a flow seen first now: decided by the new set
    EXPECT_EQ(mark_of(other), 0u);
    EXPECT_EQ(mark_of(syn), 0u) << "a new SYN decides afresh";
    EXPECT_EQ(mark_of(data), 0u);
    // And the other way: a flow on the TUN stays there when its address joins the set.
    program_->replace_set({prefix("203.0.113.0/24")});
    EXPECT_EQ(mark_of(data), 0u);
    EXPECT_EQ(mark_of(syn), kMark);
}

TEST_F(BypassProgramTest, IdleUdpFlowsAreDecidedAfresh) {
    Frame udp;
    udp.protocol = 17;
    udp.source_port = 42000;
    EXPECT_EQ(mark_of(udp), kMark);
    program_->replace_set({});
    EXPECT_EQ(mark_of(udp), kMark);  // pinned while active
    settings_.udp_idle = std::chrono::seconds(0);
    program_->configure(settings_);
    EXPECT_EQ(mark_of(udp), 0u);  // idle longer than 0 s: decided by the empty set
}

TEST_F(BypassProgramTest, DisabledMarksNothing) {
    settings_.enabled = false;
    program_->configure(settings_);
    Frame fresh;
    fresh.source_port = 43000;
    EXPECT_EQ(mark_of(fresh), 0u);
}

TEST_F(BypassProgramTest, RedirHostExcludedAddresses) {
    settings_.check_excluded = true;
    program_->configure(settings_);
    program_->exclude(ip("203.0.113.5"));
    program_->exclude(ip("2001:db8::80"));
    Frame remembered;
    remembered.source_port = 44000;
    EXPECT_EQ(mark_of(remembered), 0u);
    Frame neighbour = remembered;
    neighbour.destination = "203.0.113.6";
    EXPECT_EQ(mark_of(neighbour), kMark);
    Frame v6 = v6_to("2001:db8::80");
    EXPECT_EQ(mark_of(v6), 0u);
    // In fake-ip mode the map is not consulted.
    settings_.check_excluded = false;
    program_->configure(settings_);
    Frame later = remembered;
    later.source_port = 44001;
    EXPECT_EQ(mark_of(later), kMark);
}

TEST_F(BypassProgramTest, CountersAndMemory) {
    const BypassCounters before = program_->counters();
    Frame a;
    a.source_port = 45000;
    Frame a_data = a;
    a_data.syn = false;
    const auto size = a.bytes().size();
    mark_of(a);
    mark_of(a_data);
    Frame miss;
    miss.destination = "203.0.114.1";
    mark_of(miss);
    const BypassCounters after = program_->counters();
    EXPECT_EQ(after.packets - before.packets, 2u);
    EXPECT_EQ(after.flows - before.flows, 1u);
    EXPECT_EQ(after.bytes - before.bytes, 2 * size);
    EXPECT_GT(program_->map_bytes(), 1024u * sizeof(std::uint64_t));
    EXPECT_EQ(program_->flow_table_size(), 1024u);
}

TEST_F(BypassProgramTest, LargeSetsAndTheirLimits) {
    std::vector<Prefix> many;
    for (std::uint32_t i = 0; i < 8192; ++i)
        many.emplace_back(IpAddress::from_v4(0x0b000000u + (i << 8)), 24);
    program_->replace_set(many);
    Frame hit;
    hit.source_port = 46000;
    hit.destination = "11.0.200.9";
    EXPECT_EQ(mark_of(hit), kMark);
    Frame miss = hit;
    miss.destination = "11.32.0.1";  // just past the last /24
    EXPECT_EQ(mark_of(miss), 0u);
    settings_.hijack_ports = std::vector<std::uint16_t>(9, 53);
    EXPECT_THROW(program_->configure(settings_), std::invalid_argument);
}

// For random sets and random packets: marked exactly when the destination is in the set
// (and outside the fake range and the hijacked port), new flows each.
TEST_F(BypassProgramTest, MarksExactlyTheSet) {
    std::mt19937 random(7);
    std::uint16_t port = 1000;
    for (int round = 0; round < 20; ++round) {
        std::vector<Prefix> prefixes;
        for (int i = 0; i < 30; ++i) {
            const int length = 8 + static_cast<int>(random() % 25);
            prefixes.emplace_back(IpAddress::from_v4(0x0a000000u | (random() & 0x00ffffffu)),
                                  length);
            prefixes.emplace_back(
                IpAddress::from_v6_u128((static_cast<unsigned __int128>(0x20010db8u) << 96) |
                                        (static_cast<unsigned __int128>(random()) << 64)),
                32 + static_cast<int>(random() % 60));
        }
        program_->replace_set(prefixes);
        for (int i = 0; i < 40; ++i) {
            const bool v6 = random() % 2;
            const IpAddress address =
                v6 ? IpAddress::from_v6_u128((static_cast<unsigned __int128>(0x20010db8u) << 96) |
                                             (static_cast<unsigned __int128>(random()) << 64) |
                                             random())
                   : IpAddress::from_v4(0x0a000000u | (random() & 0x00ffffffu));
            const bool in_set = std::any_of(prefixes.begin(), prefixes.end(),
                                            [&](const Prefix& p) { return p.contains(address); });
            Frame f;
            f.source = v6 ? "2001:db8:ffff::1" : "192.168.1.10";
            f.destination = address.to_string();
            f.protocol = random() % 2 ? 6 : 17;
            f.source_port = ++port;
            EXPECT_EQ(mark_of(f), in_set ? kMark : 0u) << address.to_string();
        }
    }
}

}  // namespace
}  // namespace shunt::ebpf
