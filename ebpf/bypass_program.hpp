// BypassProgram: the loaded eBPF program (ebpf/program/bypass.bpf.c) and its maps, through
// libbpf and the skeleton bpftool generated at build time. It owns the program and map fds;
// attaching them somewhere is TcAttachment's and CgroupAttachment's business.
//
// Everything the program reads is written here: the settings (config map), the bypass set
// (an LPM trie per family behind a one-slot array of maps: replace_set() fills fresh tries
// and swaps each in with one update, so a packet sees the old set or the new one, never
// half of each), redir-host's excluded addresses, and the counters it keeps per CPU.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "ebpf/bypass_status.hpp"
#include "net/ip_address.hpp"

struct shunt_bypass;

namespace shunt::ebpf {

// A load or map operation failed: what was tried and why (errno text and libbpf's last
// warning, which names the verifier's complaint or the missing capability).
class EbpfError : public std::runtime_error {
  public:
    EbpfError(const std::string& step, int error);
    int error() const { return error_; }

  private:
    int error_;
};

struct ProgramSettings {
    bool enabled = false;  // false: the program marks nothing
    std::uint32_t routing_mark = 0;
    std::uint64_t netns_cookie = 0;
    std::chrono::seconds udp_idle{60};
    Prefix fake_range;                        // IPv4
    std::optional<Prefix> fake_range6;        // none: no IPv6 pool
    std::vector<std::uint16_t> hijack_ports;  // DNS hijack of any address, host order
    bool check_excluded = false;              // redir-host
};

// One BPF_PROG_TEST_RUN of the tc program.
struct TestRunResult {
    int action = 0;          // the program's return value (TC_ACT_UNSPEC: -1)
    std::uint32_t mark = 0;  // skb->mark afterwards
    std::uint32_t average_ns = 0;
};

class BypassProgram {
  public:
    // How many entries the maps may hold (their kernel memory; the LRU maps are
    // allocated whole at load).
    struct Sizes {
        std::size_t flows = 65536;     // [ebpf] flow_table_size (router)
        std::size_t excluded = 65536;  // redir-host's answered addresses (as used)
        std::size_t sockets = 16384;   // sockets the desktop hooks marked; 1 without them
    };

    // Opens the embedded object, sizes the maps and loads it into the kernel.
    // Throws EbpfError (no CAP_BPF, no BPF syscall, a verifier refusal).
    explicit BypassProgram(const Sizes& sizes);
    ~BypassProgram();
    BypassProgram(const BypassProgram&) = delete;
    BypassProgram& operator=(const BypassProgram&) = delete;

    static constexpr std::size_t kMaxHijackPorts = 8;
    static constexpr std::size_t kMaxPrefixes = 1 << 20;  // per family

    // Throws EbpfError; more than kMaxHijackPorts ports is std::invalid_argument.
    void configure(const ProgramSettings& settings);
    // Throws EbpfError (the running set stays) or std::invalid_argument (too many).
    void replace_set(const std::vector<Prefix>& prefixes);
    // redir-host: an address answered for a name; it never bypasses from now on. Throws
    // EbpfError when the map is full (E2BIG).
    void exclude(const IpAddress& address);
    BypassCounters counters() const;
    // Kernel memory the maps hold (their "memlock" in /proc/self/fdinfo).
    std::size_t map_bytes() const;
    std::size_t flow_table_size() const { return flow_table_size_; }

    int tc_program_fd() const;
    int connect4_program_fd() const;
    int connect6_program_fd() const;
    shunt_bypass& skeleton() { return *skeleton_; }

    // Runs the tc program on `frame` (an Ethernet frame) `repeat` times in the kernel.
    TestRunResult test_tc(std::span<const std::uint8_t> frame, std::uint32_t mark_before = 0,
                          int repeat = 1) const;

  private:
    int make_set(bool v6, const std::vector<Prefix>& prefixes) const;

    shunt_bypass* skeleton_ = nullptr;
    std::size_t flow_table_size_;
    int current_sets_[2] = {-1, -1};  // the tries in use, v4 and v6
};

}  // namespace shunt::ebpf
