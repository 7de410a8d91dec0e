#include "tests/support/shunt_in_namespace.hpp"

#include <dirent.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace shunt::test {

ShuntInNamespace::ShuntInNamespace(const E2eTopology& topology, Options options)
    : topology_(topology), resolv_dir_("/etc/netns/" + topology.client_ns()) {
    write_config(options);
    options_env_ = options.env;
    command_prefix_ = options.command_prefix;
    keep_host_sys_ = options.keep_host_sys;
    std::filesystem::create_directories(resolv_dir_);
    std::ofstream(resolv_dir_ + "/resolv.conf") << "nameserver 127.0.0.1\n";
}

void ShuntInNamespace::write_config(const Options& options) {
    std::string listen;
    for (const auto& address : options.dns_listen)
        listen += (listen.empty() ? "\"" : ", \"") + address + "\"";
    std::ostringstream config;
    config << options.top_level << "\n[log]\nlevel = \"" << options.log_level << "\"\n\n[dns]\n"
           << "listen = [" << listen << "]\n"
           << "fake_ip_store = \"" << dir_.file("fakeip.db") << "\"\n"
           << "upstreams = [\"udp://" << topology_.server_v4() << ":53\"]\n"
           << "upstream_timeout_ms = 1500\n"
           << options.extra_dns << "\n\n[tun]\n";
    // extra_tun may set these two itself (a reload test changes them).
    if (options.extra_tun.find("enable =") == std::string::npos) config << "enable = true\n";
    if (options.extra_tun.find("name =") == std::string::npos)
        config << "name = \"" << kTunName << "\"\n";
    // The namespace shares the host's /etc/resolv.conf and D-Bus: only a test of system DNS
    // (which gives the namespace its own of both) lets shunt touch them.
    if (options.extra_tun.find("system_dns =") == std::string::npos)
        config << "system_dns = \"off\"\n";
    config << options.extra_tun << "\n" << options.extra_sections << "\n";
    dir_.write("shunt.toml", config.str());
}

void ShuntInNamespace::send_reload(const Options& options) {
    write_config(options);
    process_->signal(SIGHUP);
}

bool ShuntInNamespace::reload(const Options& options) {
    // Only what shunt logs after the signal counts.
    const std::size_t before = log().size();
    send_reload(options);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        const std::string since = log().substr(before);
        if (since.find("reloaded ") != std::string::npos) return true;
        if (since.find("keeping the running configuration") != std::string::npos) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

ShuntInNamespace::~ShuntInNamespace() {
    process_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(resolv_dir_, ignored);
}

void ShuntInNamespace::spawn() {
    ChildProcess::Options options;
    options.stdout_path = log_path();
    options.stderr_path = log_path();
    options.env = options_env_;
    std::vector<std::string> argv = command_prefix_;
    for (const char* arg : {SHUNT_BINARY, "run", "-c"}) argv.emplace_back(arg);
    argv.push_back(dir_.file("shunt.toml"));
    if (keep_host_sys_) {
        argv.insert(argv.begin(), {"nsenter", "--net=/run/netns/" + topology_.client_ns()});
        process_ = std::make_unique<ChildProcess>(std::move(argv), std::move(options));
    } else {
        process_ = topology_.spawn_in_client(std::move(argv), std::move(options));
    }
}

std::optional<int> ShuntInNamespace::start_expecting_exit(std::chrono::milliseconds timeout) {
    spawn();
    return process_->wait(timeout);
}

void ShuntInNamespace::start() {
    spawn();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
        if (!process_->running())
            throw std::runtime_error("shunt exited during startup:\n" + log());
        auto link = topology_.run_in_client({"ip", "link", "show", kTunName});
        if (link.exit_code == 0 && log().find("running with") != std::string::npos) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("shunt did not come up:\n" + log());
}

std::optional<int> ShuntInNamespace::stop(std::chrono::milliseconds timeout) {
    if (!process_) return 0;
    process_->signal(SIGTERM);
    auto status = process_->wait(timeout);
    return status;
}

void ShuntInNamespace::kill9() {
    if (process_) process_->kill();
}

std::string ShuntInNamespace::resolve(const std::string& name, const std::string& type) const {
    auto result =
        topology_.run_in_client({"dig", "+short", "+time=2", "+tries=1", "@127.0.0.1", name, type});
    const auto end = result.out.find('\n');
    return result.out.substr(0, end);
}

int ShuntInNamespace::open_fds() const {
    if (!process_) return -1;
    // `ip netns exec` runs shunt as a child of the exec'd process only when it forks;
    // it execs, so the pid is shunt's.
    int count = 0;
    const std::string path = "/proc/" + std::to_string(process_->pid()) + "/fd";
    if (DIR* dir = ::opendir(path.c_str())) {
        while (dirent* entry = ::readdir(dir))
            if (entry->d_name[0] != '.') ++count;
        ::closedir(dir);
    }
    return count;
}

int ShuntInNamespace::wait_for_fds_at_most(int count, std::chrono::milliseconds timeout) const {
    const auto until = std::chrono::steady_clock::now() + timeout;
    int seen = open_fds();
    while (seen > count && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        seen = open_fds();
    }
    return seen;
}

std::string ShuntInNamespace::log() const {
    std::ifstream in(log_path());
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace shunt::test
