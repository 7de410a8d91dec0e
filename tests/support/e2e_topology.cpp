#include "tests/support/e2e_topology.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace shunt::test {

namespace {

using namespace std::chrono_literals;

constexpr const char* kNamePrefix = "shunt-e2e-";

std::atomic<int> next_instance{0};

std::string namespace_name(const char* role, int instance) {
    std::string name = std::string(kNamePrefix) + role + "-" + std::to_string(::getpid());
    if (instance > 0) {  // two appends: `"-" + string` trips GCC 12's -Wrestrict in Release
        name += '-';
        name += std::to_string(instance);
    }
    return name;
}

bool process_exists(pid_t pid) {
    return std::filesystem::exists("/proc/" + std::to_string(pid));
}

std::vector<std::string> namespace_list() {
    // `ip netns list` prints "NAME" or "NAME (id: N)" per line.
    auto listed = run_command({"ip", "netns", "list"}, 10s);
    std::vector<std::string> names;
    std::istringstream lines(listed.out);
    for (std::string line; std::getline(lines, line);) {
        auto end = line.find(' ');
        if (!line.empty()) names.push_back(line.substr(0, end));
    }
    return names;
}

// Namespaces of earlier e2e runs whose test process is gone (a crash or a SIGKILL
// skips every destructor): their nginx/unbound would otherwise live on inside them.
// A live pid may be a concurrent ctest job and is left alone; this process's own
// names are handled by OwnedNamespace (another topology of ours may be alive).
void remove_stale_topologies() {
    static const std::regex ours(R"(shunt-e2e-(client|server)-(\d+)(-\d+)?)");
    for (const auto& name : namespace_list()) {
        std::smatch match;
        if (!std::regex_match(name, match, ours)) continue;
        const auto pid = static_cast<pid_t>(std::stol(match[2].str()));
        if (pid != ::getpid() && !process_exists(pid)) E2eTopology::remove_namespace(name);
    }
}

int claim_instance() {
    remove_stale_topologies();
    return next_instance++;
}

void must_run(const std::vector<std::string>& argv, const std::string& netns = "") {
    auto result = run_command(argv, 10s, netns);
    if (result.exit_code != 0) {
        std::string joined;
        for (const auto& a : argv) joined += a + " ";
        if (!netns.empty()) joined += "(in " + netns + ") ";
        throw std::runtime_error("E2eTopology: `" + joined + "` failed with exit code " +
                                 std::to_string(result.exit_code));
    }
}

}  // namespace

std::vector<pid_t> E2eTopology::pids_in(const std::string& netns) {
    auto listed = run_command({"ip", "netns", "pids", netns}, 10s);
    std::vector<pid_t> pids;
    std::istringstream words(listed.out);
    for (long pid = 0; words >> pid;) pids.push_back(static_cast<pid_t>(pid));
    return pids;
}

void E2eTopology::remove_namespace(const std::string& netns) {
    // Per-namespace files `ip netns exec` mounts (shunt_in_namespace's resolv.conf), also
    // when a killed run left them behind.
    std::error_code ignored;
    std::filesystem::remove_all("/etc/netns/" + netns, ignored);
    if (!std::filesystem::exists("/run/netns/" + netns)) return;
    // A namespace lives on while a process is inside, whatever `ip netns delete` does.
    for (pid_t pid : pids_in(netns)) ::kill(pid, SIGKILL);
    run_command({"ip", "netns", "delete", netns}, 10s);
}

E2eTopology::OwnedNamespace::OwnedNamespace(std::string name_) : name(std::move(name_)) {
    remove_namespace(name);  // a crashed run with the same pid
    must_run({"ip", "netns", "add", name});
}

E2eTopology::OwnedNamespace::~OwnedNamespace() {
    remove_namespace(name);
}

E2eTopology::E2eTopology(Options options)
    : instance_(claim_instance()),
      index_(1 + static_cast<int>((::getpid() + instance_) % 250)),
      client_(namespace_name("client", instance_)),
      server_(namespace_name("server", instance_)) {
    build_network();
    if (options.start_dns) start_dns(options);
}

E2eTopology::~E2eTopology() {
    // unbound first (reaped by its owner); the namespaces then kill whatever a test left.
    dns_.reset();
}

std::string E2eTopology::client_v4() const {
    return "10.200." + std::to_string(index_) + ".2";
}
std::string E2eTopology::server_v4() const {
    return "10.200." + std::to_string(index_) + ".1";
}
std::string E2eTopology::client_v6() const {
    return "fd00:200:" + std::to_string(index_) + "::2";
}
std::string E2eTopology::server_v6() const {
    return "fd00:200:" + std::to_string(index_) + "::1";
}

void E2eTopology::build_network() const {
    const std::string& c = client_.name;
    const std::string& s = server_.name;
    // Both ends are created directly inside the namespaces: no name in the root
    // namespace, so concurrent topologies cannot collide.
    must_run({"ip", "link", "add", kClientVeth, "netns", c, "type", "veth", "peer", "name",
              kServerVeth, "netns", s});
    for (const auto& ns : {c, s}) must_run({"ip", "-n", ns, "link", "set", "lo", "up"});

    must_run({"ip", "-n", s, "addr", "add", server_v4() + "/24", "dev", kServerVeth});
    must_run({"ip", "-n", s, "addr", "add", server_v6() + "/64", "dev", kServerVeth, "nodad"});
    must_run({"ip", "-n", s, "link", "set", kServerVeth, "up"});
    // The web addresses sit on the server's lo, off the veth subnet: the client has no
    // on-link route to them, only its default route.
    must_run({"ip", "-n", s, "addr", "add", std::string(kWebV4) + "/32", "dev", "lo"});
    must_run({"ip", "-n", s, "addr", "add", std::string(kSecondWebV4) + "/32", "dev", "lo"});
    must_run({"ip", "-n", s, "addr", "add", std::string(kWebV6) + "/128", "dev", "lo"});
    must_run({"ip", "-n", s, "addr", "add", std::string(kSecondWebV6) + "/128", "dev", "lo"});

    must_run({"ip", "-n", c, "addr", "add", client_v4() + "/24", "dev", kClientVeth});
    must_run({"ip", "-n", c, "addr", "add", client_v6() + "/64", "dev", kClientVeth, "nodad"});
    must_run({"ip", "-n", c, "link", "set", kClientVeth, "up"});
    must_run({"ip", "-n", c, "route", "add", "default", "via", server_v4()});
    must_run({"ip", "-n", c, "-6", "route", "add", "default", "via", server_v6()});
}

void E2eTopology::start_dns(const Options& options) {
    const std::string ttl = ". 300 IN ";
    std::vector<std::string> records = {
        std::string(kWebSite) + ttl + "A " + kWebV4,
        std::string(kSecondSite) + ttl + "A " + kSecondWebV4,
        std::string(kV6OnlySite) + ttl + "AAAA " + kWebV6,
        std::string(kDualSite) + ttl + "A " + kWebV4,
        std::string(kDualSite) + ttl + "AAAA " + kWebV6,
    };
    records.insert(records.end(), options.extra_dns_records.begin(),
                   options.extra_dns_records.end());
    dns_ = std::make_unique<UnboundServer>(
        UnboundServer::Options{
            .local_zones = {"e2e.test."}, .local_data = std::move(records), .tls = std::nullopt},
        UnboundServer::Listen{
            .netns = server_.name, .addresses = {server_v4(), server_v6()}, .port = kDnsPort});
}

CommandResult E2eTopology::run_in_client(const std::vector<std::string>& argv,
                                         std::chrono::milliseconds timeout) const {
    return run_command(argv, timeout, client_.name);
}

CommandResult E2eTopology::run_in_server(const std::vector<std::string>& argv,
                                         std::chrono::milliseconds timeout) const {
    return run_command(argv, timeout, server_.name);
}

CommandResult E2eTopology::shell_in_client(const std::string& script,
                                           std::chrono::milliseconds timeout) const {
    return run_command({"sh", "-c", script}, timeout, client_.name);
}

CommandResult E2eTopology::shell_in_server(const std::string& script,
                                           std::chrono::milliseconds timeout) const {
    return run_command({"sh", "-c", script}, timeout, server_.name);
}

std::unique_ptr<ChildProcess> E2eTopology::spawn_in_client(std::vector<std::string> argv,
                                                           ChildProcess::Options options) const {
    options.netns = client_.name;
    return std::make_unique<ChildProcess>(std::move(argv), std::move(options));
}

std::unique_ptr<ChildProcess> E2eTopology::spawn_in_server(std::vector<std::string> argv,
                                                           ChildProcess::Options options) const {
    options.netns = server_.name;
    return std::make_unique<ChildProcess>(std::move(argv), std::move(options));
}

}  // namespace shunt::test
