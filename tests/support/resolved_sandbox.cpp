#include "tests/support/resolved_sandbox.hpp"

#include <filesystem>
#include <stdexcept>
#include <thread>

namespace shunt::test {

ResolvedSandbox::ResolvedSandbox(const E2eTopology& topology) : topology_(topology) {
    if (!std::filesystem::exists(std::string(kResolvedRoot) + "/lib/systemd/systemd-resolved"))
        throw std::runtime_error(std::string("no systemd-resolved unpacked in ") + kResolvedRoot +
                                 ": run scripts/setup.sh");
    // resolved runs as nobody and must reach the bus socket in here.
    std::filesystem::permissions(
        dir_.path(), std::filesystem::perms::others_read | std::filesystem::perms::others_exec,
        std::filesystem::perm_options::add);
    dir_.write(
        "bus.conf",
        "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\"\n"
        " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
        "<busconfig><type>system</type>\n"
        "<listen>unix:path=" +
            dir_.file("bus.sock") +
            "</listen><auth>EXTERNAL</auth>\n"
            "<policy context=\"default\"><allow user=\"*\"/><allow own=\"*\"/>"
            "<allow send_destination=\"*\"/><allow receive_sender=\"*\"/></policy>\n"
            "</busconfig>\n");
    dir_.write("resolv.conf", "");
    ChildProcess::Options options;
    options.stdout_path = dir_.file("dbus.log");
    options.stderr_path = dir_.file("dbus.log");
    bus_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"dbus-daemon", "--nofork",
                                 "--config-file=" + dir_.file("bus.conf")},
        options);
    for (int i = 0; i < 1000 && !std::filesystem::exists(dir_.file("bus.sock")); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!std::filesystem::exists(dir_.file("bus.sock")))
        throw std::runtime_error("dbus-daemon did not start: " + read_file(dir_.file("dbus.log")));
}

ResolvedSandbox::~ResolvedSandbox() {
    resolved_.reset();
    bus_.reset();
}

std::string ResolvedSandbox::bus_env() const {
    return "DBUS_SYSTEM_BUS_ADDRESS=unix:path=" + dir_.file("bus.sock");
}

std::string ResolvedSandbox::bin_directory() {
    return std::string(kResolvedRoot) + "/usr/bin";
}

void ResolvedSandbox::start() {
    resolved_.reset();
    // As nobody: resolved started as root insists on its own user, which this machine
    // lacks. CAP_SETPCAP lets it drop the capabilities it does not need.
    const std::string caps = "+net_bind_service,+net_raw,+setpcap";
    const std::string script =
        "mount -t tmpfs tmpfs /run/systemd && mkdir -p /run/systemd/resolve && "
        "chown nobody /run/systemd/resolve && mount --bind " +
        dir_.file("resolv.conf") +
        " /etc/resolv.conf && exec setpriv --reuid=nobody --regid=nogroup --clear-groups "
        "--inh-caps=" +
        caps + " --ambient-caps=" + caps + " " + kResolvedRoot + "/lib/systemd/systemd-resolved";
    ChildProcess::Options options;
    options.stdout_path = dir_.file("resolved.log");
    options.stderr_path = dir_.file("resolved.log");
    options.env = {bus_env(), "SYSTEMD_LOG_LEVEL=debug"};
    resolved_ = topology_.spawn_in_client({"unshare", "-m", "sh", "-c", script}, options);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        if (!resolved_->running()) break;
        if (resolvectl({"status"}).exit_code == 0) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("systemd-resolved did not come up:\n" + log_tail(log()));
}

void ResolvedSandbox::kill() {
    if (resolved_) resolved_->kill();
}

CommandResult ResolvedSandbox::resolvectl(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{"env", bus_env(), bin_directory() + "/resolvectl", "--no-pager"};
    argv.insert(argv.end(), args.begin(), args.end());
    return topology_.run_in_client(argv, std::chrono::seconds(10));
}

std::string ResolvedSandbox::log() const {
    return read_file(dir_.file("resolved.log"));
}

}  // namespace shunt::test
