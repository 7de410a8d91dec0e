// [tun] system_dns: while the TUN device is up, the system's resolver asks shunt. With
// systemd-resolved, per-link settings on the device (they vanish with the link, so even
// kill -9 leaves nothing behind); without it, a rewritten /etc/resolv.conf that the next
// start or `shunt cleanup` puts back after a crash. docs/system-dns.md.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "config/config.hpp"
#include "netstack/system_dns/resolv_conf_file.hpp"
#include "netstack/system_dns/resolved_control.hpp"

namespace shunt::netstack {

struct SystemDnsPlan {
    SystemDnsMode mode = SystemDnsMode::automatic;
    ResolvedLinkId link;                     // shunt's TUN device
    std::optional<Endpoint> server;          // what resolved asks (a port may be named)
    std::optional<Endpoint> server_port_53;  // what resolv.conf names (port 53 only)
    std::string resolv_conf = kSystemResolvConf;
    std::string resolv_conf_backup;  // where resolv.conf's original is kept
    // Tests: the resolvectl transport even in a build with sd-bus.
    bool force_resolvectl = false;
};

// The plan for `shunt run` with `config`, once the device has its index.
SystemDnsPlan system_dns_plan(const Config& config, int tun_ifindex);

class SystemDns {
  public:
    SystemDns(boost::asio::any_io_executor executor, SystemDnsPlan plan);
    SystemDns(const SystemDns&) = delete;
    SystemDns& operator=(const SystemDns&) = delete;
    // Calls stop().
    ~SystemDns();

    // Points the system's resolver at shunt as the plan says ("auto": resolved when it
    // answers, else resolv.conf). Throws std::runtime_error saying what is wrong and what
    // to change; nothing stays changed then.
    void start();
    // Undoes what start() did. Idempotent; never throws.
    void stop() noexcept;
    // Sets resolved's link settings again (a reload does: the resolvectl transport cannot
    // see resolved restart, and a user may have changed them by hand). Never throws.
    void refresh() noexcept;
    // The TUN device was made again under a new index (the old one was deleted, and its
    // settings in resolved went with it): the same settings on the new link. resolv.conf
    // names shunt's address, not the device: nothing to do there. Never throws.
    void relink(int ifindex) noexcept;

    // What start() chose: "systemd-resolved (D-Bus)", "/etc/resolv.conf" or "off".
    const std::string& active() const { return active_; }

  private:
    void start_resolved();
    void start_resolv_conf();
    void apply_link_settings();

    boost::asio::any_io_executor executor_;
    SystemDnsPlan plan_;
    std::unique_ptr<ResolvedControl> resolved_;  // set while resolved holds the settings
    std::unique_ptr<ResolvConfFile> resolv_conf_;
    std::string active_ = "off";
};

}  // namespace shunt::netstack
