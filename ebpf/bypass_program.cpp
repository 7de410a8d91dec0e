#include "ebpf/bypass_program.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <fstream>
#include <mutex>

#include "ebpf/program/bypass_abi.h"
#include "shunt_bypass.skel.h"

namespace shunt::ebpf {

namespace {

// libbpf explains a failure in its log, not in the errno: keep the last warning so the
// error can say what the verifier or the kernel refused.
thread_local std::string last_libbpf_warning;
thread_local std::string verifier_reason;

int libbpf_log(enum libbpf_print_level level, const char* format, va_list args) {
    // The verifier's log comes as one message of any length; its last lines say why.
    va_list copy;
    va_copy(copy, args);
    const int length = std::vsnprintf(nullptr, 0, format, copy);
    va_end(copy);
    std::string text(length > 0 ? static_cast<std::size_t>(length) : 0, '\0');
    if (length > 0) std::vsnprintf(text.data(), text.size() + 1, format, args);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    if (level == LIBBPF_WARN) {
        // A verifier log ends "<reason>\nprocessed N insns ...": keep the reason, which
        // says more than the "failed to load" line that follows.
        const auto processed = text.find("\nprocessed ");
        if (processed != std::string::npos) {
            const auto start = text.rfind('\n', processed - 1);
            verifier_reason = text.substr(start == std::string::npos ? 0 : start + 1,
                                          processed - (start == std::string::npos ? 0 : start + 1));
        } else {
            last_libbpf_warning = text;
        }
    }
    spdlog::debug("ebpf: libbpf: {}", text);
    return 0;
}

void install_log() {
    static std::once_flag once;
    std::call_once(once, [] { libbpf_set_print(libbpf_log); });
}

std::string describe(const std::string& step, int error) {
    std::string text = "ebpf: " + step + ": " + std::strerror(error);
    if (error == EPERM)
        text += " (needs CAP_BPF and CAP_NET_ADMIN, or CAP_SYS_ADMIN on kernels before 5.8)";
    if (!verifier_reason.empty()) text += " [verifier: " + verifier_reason + "]";
    if (!last_libbpf_warning.empty()) text += " [libbpf: " + last_libbpf_warning + "]";
    return text;
}

void fill_v4_mask(const Prefix& p, std::uint32_t& addr, std::uint32_t& mask) {
    // Network order, as the packet carries it: the address's bytes as they are.
    std::memcpy(&addr, p.base().bytes().data(), 4);
    const std::uint32_t host_mask = p.length() == 0 ? 0 : ~std::uint32_t{0} << (32 - p.length());
    mask = htobe32(host_mask);
    addr &= mask;
}

void fill_v6_mask(const std::optional<Prefix>& p, std::uint32_t (&addr)[4],
                  std::uint32_t (&mask)[4]) {
    if (!p) {
        // No IPv6 pool: a mask that nothing matches (all-ones address under a zero mask
        // can never equal (x & 0) == 0xffffffff).
        for (int i = 0; i < 4; ++i) {
            addr[i] = 0xffffffffu;
            mask[i] = 0;
        }
        return;
    }
    std::memcpy(addr, p->base().bytes().data(), 16);
    int bits = p->length();
    for (int i = 0; i < 4; ++i) {
        const int here = bits >= 32 ? 32 : (bits <= 0 ? 0 : bits);
        const std::uint32_t host_mask = here == 0 ? 0 : ~std::uint32_t{0} << (32 - here);
        mask[i] = htobe32(host_mask);
        addr[i] &= mask[i];
        bits -= 32;
    }
}

}  // namespace

EbpfError::EbpfError(const std::string& step, int error)
    : std::runtime_error(describe(step, error)), error_(error) {}

BypassProgram::BypassProgram(const Sizes& sizes) : flow_table_size_(sizes.flows) {
    install_log();
    last_libbpf_warning.clear();
    verifier_reason.clear();
    skeleton_ = shunt_bypass__open();
    if (skeleton_ == nullptr) throw EbpfError("open the embedded program", errno);
    auto size = [](bpf_map* map, std::size_t entries) {
        return bpf_map__set_max_entries(
            map, static_cast<std::uint32_t>(std::max<std::size_t>(1, entries)));
    };
    int rc = size(skeleton_->maps.flows, sizes.flows);
    if (rc == 0) rc = size(skeleton_->maps.excluded, sizes.excluded);
    if (rc == 0) rc = size(skeleton_->maps.marked_sockets, sizes.sockets);
    if (rc == 0) rc = shunt_bypass__load(skeleton_);
    if (rc != 0) {
        const int error = -rc;
        shunt_bypass__destroy(skeleton_);
        skeleton_ = nullptr;
        throw EbpfError("load the program", error);
    }
    // Empty sets until the first replace_set(): nothing bypasses.
    try {
        replace_set({});
    } catch (...) {
        shunt_bypass__destroy(skeleton_);  // no destructor runs for a throwing constructor
        skeleton_ = nullptr;
        throw;
    }
}

BypassProgram::~BypassProgram() {
    for (int fd : current_sets_)
        if (fd >= 0) close(fd);
    if (skeleton_ != nullptr) shunt_bypass__destroy(skeleton_);
}

void BypassProgram::configure(const ProgramSettings& s) {
    if (s.hijack_ports.size() > kMaxHijackPorts)
        throw std::invalid_argument("ebpf: more than 8 DNS hijack ports");
    shunt_bypass_config cfg{};
    cfg.enabled = s.enabled ? 1 : 0;
    cfg.routing_mark = s.routing_mark;
    cfg.netns_cookie = s.netns_cookie;
    cfg.udp_idle_ns = static_cast<std::uint64_t>(s.udp_idle.count()) * 1'000'000'000ull;
    fill_v4_mask(s.fake_range, cfg.fake4_addr, cfg.fake4_mask);
    fill_v6_mask(s.fake_range6, cfg.fake6_addr, cfg.fake6_mask);
    cfg.check_excluded = s.check_excluded ? 1 : 0;
    cfg.hijack_count = static_cast<std::uint32_t>(s.hijack_ports.size());
    for (std::size_t i = 0; i < s.hijack_ports.size(); ++i)
        cfg.hijack_ports[i] = htobe16(s.hijack_ports[i]);
    const std::uint32_t zero = 0;
    if (bpf_map_update_elem(bpf_map__fd(skeleton_->maps.config), &zero, &cfg, BPF_ANY) != 0)
        throw EbpfError("write the settings", errno);
}

int BypassProgram::make_set(bool v6, const std::vector<Prefix>& prefixes) const {
    LIBBPF_OPTS(bpf_map_create_opts, options, .map_flags = BPF_F_NO_PREALLOC);
    const std::uint32_t key_size = v6 ? sizeof(shunt_lpm_v6) : sizeof(shunt_lpm_v4);
    const int fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, v6 ? "shunt_set_v6" : "shunt_set_v4",
                                  key_size, 1, kMaxPrefixes, &options);
    if (fd < 0) throw EbpfError("create a prefix set", errno);
    const std::uint8_t present = 1;
    for (const Prefix& p : prefixes) {
        if (p.family() != (v6 ? IpAddress::Family::v6 : IpAddress::Family::v4)) continue;
        int rc = 0;
        if (v6) {
            shunt_lpm_v6 key{};
            key.prefixlen = static_cast<std::uint32_t>(p.length());
            std::memcpy(key.addr, p.base().bytes().data(), 16);
            rc = bpf_map_update_elem(fd, &key, &present, BPF_ANY);
        } else {
            shunt_lpm_v4 key{};
            key.prefixlen = static_cast<std::uint32_t>(p.length());
            std::memcpy(&key.addr, p.base().bytes().data(), 4);
            rc = bpf_map_update_elem(fd, &key, &present, BPF_ANY);
        }
        if (rc != 0) {
            const int error = errno;
            close(fd);
            throw EbpfError("add " + p.to_string() + " to the prefix set", error);
        }
    }
    return fd;
}

void BypassProgram::replace_set(const std::vector<Prefix>& prefixes) {
    std::size_t count[2] = {0, 0};
    for (const Prefix& p : prefixes) ++count[p.family() == IpAddress::Family::v6 ? 1 : 0];
    if (count[0] > kMaxPrefixes || count[1] > kMaxPrefixes)
        throw std::invalid_argument("ebpf: the bypass set has more than 2^20 prefixes");
    // Both tries are filled before either is swapped in: a failure leaves the old set.
    int fresh[2] = {make_set(false, prefixes), -1};
    try {
        fresh[1] = make_set(true, prefixes);
    } catch (...) {
        close(fresh[0]);
        throw;
    }
    const int outer[2] = {bpf_map__fd(skeleton_->maps.bypass_v4),
                          bpf_map__fd(skeleton_->maps.bypass_v6)};
    const std::uint32_t zero = 0;
    for (int family = 0; family < 2; ++family) {
        if (bpf_map_update_elem(outer[family], &zero, &fresh[family], BPF_ANY) != 0) {
            const int error = errno;
            for (int fd : fresh)
                if (fd >= 0) close(fd);
            throw EbpfError("swap in the prefix set", error);
        }
        // The kernel holds the map now; a program still using the old one keeps it
        // alive until it is done.
        if (current_sets_[family] >= 0) close(current_sets_[family]);
        current_sets_[family] = fresh[family];
        fresh[family] = -1;
    }
}

void BypassProgram::exclude(const IpAddress& address) {
    shunt_excluded_key key{};
    key.family = address.is_v4() ? 4 : 6;
    std::memcpy(key.addr, address.bytes().data(), address.is_v4() ? 4 : 16);
    const std::uint8_t present = 1;
    if (bpf_map_update_elem(bpf_map__fd(skeleton_->maps.excluded), &key, &present, BPF_ANY) != 0)
        throw EbpfError("exclude " + address.to_string(), errno);
}

BypassCounters BypassProgram::counters() const {
    const int cpus = libbpf_num_possible_cpus();
    BypassCounters total;
    if (cpus <= 0) return total;
    std::vector<shunt_bypass_counters> per_cpu(static_cast<std::size_t>(cpus));
    const std::uint32_t zero = 0;
    if (bpf_map_lookup_elem(bpf_map__fd(skeleton_->maps.counters), &zero, per_cpu.data()) != 0)
        return total;
    for (const auto& c : per_cpu) {
        total.packets += c.packets;
        total.bytes += c.bytes;
        total.flows += c.flows;
        total.sockets += c.sockets;
    }
    return total;
}

std::size_t BypassProgram::map_bytes() const {
    std::size_t total = 0;
    auto add = [&total](int fd) {
        std::ifstream info("/proc/self/fdinfo/" + std::to_string(fd));
        std::string key;
        std::size_t value = 0;
        while (info >> key) {
            if (key == "memlock:" && info >> value) {
                total += value;
                return;
            }
        }
    };
    bpf_map* map = nullptr;
    bpf_object__for_each_map(map, skeleton_->obj) add(bpf_map__fd(map));
    for (int fd : current_sets_)
        if (fd >= 0) add(fd);
    return total;
}

int BypassProgram::tc_program_fd() const {
    return bpf_program__fd(skeleton_->progs.shunt_tc_bypass);
}
int BypassProgram::connect4_program_fd() const {
    return bpf_program__fd(skeleton_->progs.shunt_connect4);
}
int BypassProgram::connect6_program_fd() const {
    return bpf_program__fd(skeleton_->progs.shunt_connect6);
}

TestRunResult BypassProgram::test_tc(std::span<const std::uint8_t> frame, std::uint32_t mark_before,
                                     int repeat) const {
    __sk_buff context{};
    context.mark = mark_before;
    __sk_buff context_out{};
    std::vector<std::uint8_t> out(frame.size() + 256);
    LIBBPF_OPTS(bpf_test_run_opts, options, .data_in = frame.data(), .data_out = out.data(),
                .data_size_in = static_cast<std::uint32_t>(frame.size()),
                .data_size_out = static_cast<std::uint32_t>(out.size()), .ctx_in = &context,
                .ctx_out = &context_out, .ctx_size_in = sizeof context,
                .ctx_size_out = sizeof context_out, .repeat = repeat);
    if (bpf_prog_test_run_opts(tc_program_fd(), &options) != 0) throw EbpfError("test run", errno);
    return {static_cast<int>(options.retval), context_out.mark, options.duration};
}

}  // namespace shunt::ebpf
