// The eBPF bypass on a desktop (auto_route): the cgroup connect hooks mark sockets whose
// destination the rules send DIRECT for every packet, before the route is chosen, so the
// connection leaves by the uplink with the uplink's address; other sockets take the TUN
// (their local address is the TUN's). The hooks sit on a cgroup of the test's own, so
// only processes the test puts there are affected.
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "ebpf/cgroup_attachment.hpp"
#include "tests/support/e2e_topology.hpp"
#include "tests/support/nginx_server.hpp"
#include "tests/support/shunt_in_namespace.hpp"

namespace shunt::test {
namespace {

// A cgroup v2 directory of the test's own, removed at the end (once empty).
class TestCgroup {
  public:
    TestCgroup() {
        const std::string mount = ebpf::cgroup2_mount();
        if (mount.empty()) throw std::runtime_error("no cgroup2 mount");
        path_ = mount + "/shunt-e2e-" + std::to_string(::getpid());
        std::filesystem::create_directory(path_);
    }
    ~TestCgroup() {
        // The processes in it have exited; rmdir removes an empty cgroup.
        for (int i = 0; i < 50 && ::rmdir(path_.c_str()) != 0; ++i) ::usleep(20000);
    }
    TestCgroup(const TestCgroup&) = delete;
    TestCgroup& operator=(const TestCgroup&) = delete;
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

class BypassDesktop : public ::testing::Test {
  protected:
    BypassDesktop() : nginx_(topology_) {}

    // curl's local address for a connection to `address`, run in the client namespace,
    // inside the test cgroup or not.
    std::string local_address(const std::string& address, bool in_cgroup) {
        const std::string curl = "nsenter --net=/run/netns/" + topology_.client_ns() +
                                 " curl -s -m 10 -o /dev/null -w '%{local_ip}' http://" + address +
                                 "/health";
        const std::string script =
            in_cgroup ? "echo $$ > " + cgroup_.path() + "/cgroup.procs && exec " + curl : curl;
        return run_command({"sh", "-c", script}).out;
    }

    // The local address a connected UDP socket to `address` gets, in the test cgroup.
    std::string udp_local_address(const std::string& address) {
        const std::string python =
            "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(('" +
            address + "', 9)); print(s.getsockname()[0], end='')";
        return run_command({"sh", "-c",
                            "echo $$ > " + cgroup_.path() +
                                "/cgroup.procs && exec nsenter --net=/run/netns/" +
                                topology_.client_ns() + " python3 -c \"" + python + "\""})
            .out;
    }

    E2eTopology topology_;
    NginxServer nginx_;
    TestCgroup cgroup_;
};

TEST_F(BypassDesktop, BypassedSocketsLeaveByTheUplink) {
    ShuntInNamespace::Options o;
    o.top_level =
        "rules = [\"IP-CIDR,203.0.113.11/32,relay\", \"IP-CIDR,203.0.113.0/24,DIRECT\", "
        "\"MATCH,relay\"]\n";
    o.extra_tun = "auto_route = true\n";
    o.extra_sections =
        "[[groups]]\nname = \"relay\"\ntype = \"select\"\nproxies = [\"DIRECT\"]\n"
        "\n[ebpf]\nenable = true\ncgroup = \"" +
        cgroup_.path() + "\"\n";
    o.keep_host_sys = true;
    ShuntInNamespace shunt(topology_, o);
    shunt.start();
    ASSERT_NE(shunt.log().find("ebpf: bypass active on sockets of " + cgroup_.path()),
              std::string::npos)
        << shunt.log();
    const std::string tun_address = "198.18.0.1";

    // In the cgroup: a bypassed destination leaves by the uplink, shunt never sees it.
    EXPECT_EQ(local_address(E2eTopology::kWebV4, true), topology_.client_v4()) << shunt.log();
    EXPECT_EQ(shunt.log().find(std::string("-> ") + E2eTopology::kWebV4 + ":80"), std::string::npos)
        << shunt.log().substr(0, 6000);
    // A proxied one goes through the TUN.
    EXPECT_EQ(local_address(E2eTopology::kSecondWebV4, true), tun_address);
    EXPECT_NE(shunt.log().find(std::string("-> ") + E2eTopology::kSecondWebV4 + ":80"),
              std::string::npos);
    // UDP is never marked, connected or not: a connected UDP socket may still send to
    // other addresses, and its datagrams would keep the mark.
    EXPECT_EQ(udp_local_address(E2eTopology::kWebV4), tun_address);
    // Outside the cgroup nothing is marked: the same bypassable address takes the TUN.
    EXPECT_EQ(local_address(E2eTopology::kWebV4, false), tun_address);
    EXPECT_NE(shunt.log().find(std::string("-> ") + E2eTopology::kWebV4 + ":80"),
              std::string::npos);
    EXPECT_EQ(shunt.stop(), 0);
    // The links went with the process: nothing left on the cgroup.
    auto attached = run_command({"bpftool", "cgroup", "show", cgroup_.path()});
    EXPECT_EQ(attached.out.find("shunt_connect"), std::string::npos) << attached.out;
}

}  // namespace
}  // namespace shunt::test
