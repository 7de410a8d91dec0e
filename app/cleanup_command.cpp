#include "app/cleanup_command.hpp"

#include <ostream>

#include "config/config_loader.hpp"
#include "ebpf/bypass_service.hpp"
#include "netstack/route/route_setup.hpp"
#include "netstack/system_dns/resolv_conf_file.hpp"

namespace shunt::app {

int run_cleanup(const std::string& config_path, std::ostream& out, std::ostream& err) {
    netstack::RoutePlan plan;
    plan.tun_name = TunConfig{}.name;
    if (!config_path.empty()) {
        auto loaded = load_config(config_path);
        if (!loaded.errors.empty()) {
            for (const auto& e : loaded.errors) err << e.format() << "\n";
            return 1;
        }
        plan.tun_name = loaded.config->tun.name;
    }
    // A running shunt's routes lead to its device, held open: its leftovers are not.
    if (const auto running = netstack::RouteSetup::running_device()) {
        err << "shunt cleanup: " << *running
            << " is up and held by a process: a shunt is running (stop it; it cleans up "
               "after itself)\n";
        return 2;
    }
    int found = 0;
    const auto routes = netstack::RouteSetup::cleanup_leftovers(plan);
    if (routes.device) {
        out << "removed the TUN device " << plan.tun_name << "\n";
        ++found;
    }
    if (routes.rules > 0) {
        out << "removed " << routes.rules << " ip rule(s) (protocol "
            << int{netstack::kShuntRouteProtocol} << ")\n";
        ++found;
    }
    if (routes.routes > 0) {
        out << "removed " << routes.routes << " route(s) (protocol "
            << int{netstack::kShuntRouteProtocol} << ")\n";
        ++found;
    }
    for (const std::string& link : ebpf::BypassService::remove_leftovers()) {
        out << "removed the eBPF bypass's tc filter from " << link << "\n";
        ++found;
    }
    bool failed = false;
    if (auto leftover = netstack::ResolvConfFile::restore_leftover(netstack::kSystemResolvConf)) {
        failed = !leftover->restored;
        (failed ? err : out) << leftover->message << "\n";
        ++found;
    }
    if (found == 0)
        out << "nothing to clean up: no route, rule, device, tc filter or DNS setting of "
               "shunt's\n";
    return failed ? 1 : 0;
}

}  // namespace shunt::app
