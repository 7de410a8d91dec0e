// BypassService: the eBPF bypass as the running shunt sees it (docs/ebpf.md). It loads the
// program, attaches it where the config says (tc on tun.lan_interfaces for a router,
// cgroup connect hooks with tun.auto_route for a desktop), keeps the kernel's set equal to
// what the rules send DIRECT for every packet in the current mode, and detaches on stop.
//
// Without eBPF (no CAP_BPF, an old kernel, a load failure) it logs one line and stays
// off, and everything keeps going through the TUN; with [ebpf] required it throws.
// A LAN interface that appears later, or goes away and comes back, gets the program
// again within a second (a poll: interfaces come and go rarely, and the check is two
// syscalls per interface).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "config/config.hpp"
#include "ebpf/bypass_program.hpp"
#include "rules/engine/bypass_compiler.hpp"

namespace shunt::ebpf {

class CgroupAttachment;

// Never bypassed whatever the rules say: the fake-IP ranges (the TUN's own) and addresses
// whose DNS is hijacked (a hijack of any address is the program's port guard instead).
rules::AddressSet bypass_exclusions(const Config& config);

class BypassService {
  public:
    BypassService(boost::asio::any_io_executor executor, std::shared_ptr<const Config> config);
    ~BypassService();
    BypassService(const BypassService&) = delete;
    BypassService& operator=(const BypassService&) = delete;

    // Before the TUN's routes: no flow can start on the TUN before the program sees it.
    void start(std::shared_ptr<const rules::RuleBypass> rules, rules::Mode mode);
    // A reload, new rule sets: the set recomputed and swapped in whole (null `rules` keeps
    // the compiled rules it has). Live flows keep their path (the program's flow table; on
    // a desktop, the socket's mark).
    void update(std::shared_ptr<const Config> config,
                std::shared_ptr<const rules::RuleBypass> rules, rules::Mode mode);
    void set_mode(rules::Mode mode);
    // redir-host: addresses just answered for a name never bypass (domain rules may match
    // them). Called before the answer leaves.
    void exclude(const std::vector<IpAddress>& addresses);
    void stop();
    BypassStatus status() const;

    // The tc filters an earlier run left (kill -9): removed at start and by `shunt cleanup`.
    static std::vector<std::string> remove_leftovers();

  private:
    void apply_settings();
    void install_set();
    void watch_interfaces();
    void attach_interfaces();
    void disable(const std::string& reason);

    boost::asio::steady_timer timer_;
    std::shared_ptr<const Config> config_;
    std::shared_ptr<const rules::RuleBypass> rules_;
    rules::Mode mode_ = rules::Mode::rule;
    std::unique_ptr<BypassProgram> program_;
    std::unique_ptr<CgroupAttachment> cgroup_;
    std::uint32_t program_id_ = 0;
    std::vector<std::pair<std::string, int>> attached_;  // interface name, index
    std::string state_ = "off";
    std::size_t prefixes_ = 0;
    double v4_share_ = 0;
    double v6_share_ = 0;
    bool stopped_ = false;
    bool excluded_full_ = false;
    bool redir_host_seen_ = false;  // redir-host's map filled up: nothing bypasses any more
};

}  // namespace shunt::ebpf
