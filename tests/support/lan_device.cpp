#include "tests/support/lan_device.hpp"

#include <unistd.h>

#include <stdexcept>

namespace shunt::test {

namespace {

void run(const std::vector<std::string>& argv) {
    auto result = run_command(argv);
    if (result.exit_code != 0)
        throw std::runtime_error("LanDevice: " + argv.back() + ": " + result.out);
}

}  // namespace

LanDevice::LanDevice(const E2eTopology& topology)
    : topology_(topology),
      name_("shunt-e2e-lan-" + std::to_string(::getpid())),
      prefix_("10.201." + std::to_string(topology.subnet_index()) + ".") {
    E2eTopology::remove_namespace(name_);  // left by a crashed run
    run({"ip", "netns", "add", name_});
    run({"ip", "-n", name_, "link", "set", "lo", "up"});
    run({"ip", "netns", "exec", topology.client_ns(), "sysctl", "-qw", "net.ipv4.ip_forward=1"});
    plug();
}

LanDevice::~LanDevice() {
    E2eTopology::remove_namespace(name_);
}

void LanDevice::plug() {
    const std::string& router_ns = topology_.client_ns();
    run({"ip", "-n", router_ns, "link", "add", kRouterLink, "type", "veth", "peer", "name", "eth0",
         "netns", name_});
    run({"ip", "-n", router_ns, "addr", "add", router() + "/24", "dev", kRouterLink});
    run({"ip", "-n", router_ns, "link", "set", kRouterLink, "up"});
    run({"ip", "-n", name_, "addr", "add", address() + "/24", "dev", "eth0"});
    run({"ip", "-n", name_, "link", "set", "eth0", "up"});
    run({"ip", "-n", name_, "route", "add", "default", "via", router()});
}

void LanDevice::unplug() {
    run({"ip", "-n", topology_.client_ns(), "link", "del", kRouterLink});
}

}  // namespace shunt::test
