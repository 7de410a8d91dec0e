#include "tests/support/nginx_server.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tests/support/e2e_topology.hpp"

namespace shunt::test {

namespace {

using namespace std::chrono_literals;

// Incremental sha256 over OpenSSL's EVP interface, owned for exception safety.
class Sha256 {
  public:
    Sha256() : ctx_(EVP_MD_CTX_new()) {
        if (!ctx_ || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1)
            throw std::runtime_error("sha256 init failed");
    }
    ~Sha256() { EVP_MD_CTX_free(ctx_); }
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void update(const void* data, std::size_t size) { EVP_DigestUpdate(ctx_, data, size); }
    std::string hex() {
        std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
        unsigned int length = 0;
        EVP_DigestFinal_ex(ctx_, digest.data(), &length);
        std::string out;
        char byte[3];
        for (unsigned int i = 0; i < length; ++i) {
            std::snprintf(byte, sizeof byte, "%02x", digest[i]);
            out += byte;
        }
        return out;
    }

  private:
    EVP_MD_CTX* ctx_;
};

std::string bracketed(const std::string& address) {
    return address.find(':') == std::string::npos ? address : "[" + address + "]";
}

std::string read_all(const std::string& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), {}};
}

std::string nginx_config(const std::string& dir, const std::vector<std::string>& addresses,
                         int port) {
    std::ostringstream conf;
    // Root workers: the TempDir is 0700 and owned by root.
    conf << "daemon off;\n"
         << "user root;\n"
         << "worker_processes 1;\n"
         << "worker_rlimit_nofile 16384;\n"
         << "pid " << dir << "/nginx.pid;\n"
         << "error_log " << dir << "/error.log warn;\n"
         << "events { worker_connections 8192; }\n"
         << "http {\n"
         << "  access_log off;\n"
         << "  default_type application/octet-stream;\n"
         << "  sendfile on;\n"
         << "  tcp_nopush on;\n"
         // Compiled-in temp paths point into /var/lib/nginx: keep all of them here.
         << "  client_body_temp_path " << dir << "/tmp/body;\n"
         << "  proxy_temp_path " << dir << "/tmp/proxy;\n"
         << "  fastcgi_temp_path " << dir << "/tmp/fastcgi;\n"
         << "  uwsgi_temp_path " << dir << "/tmp/uwsgi;\n"
         << "  scgi_temp_path " << dir << "/tmp/scgi;\n"
         << "  server {\n";
    if (addresses.empty()) conf << "    listen " << port << ";\n";
    for (const auto& address : addresses)
        conf << "    listen " << bracketed(address) << ":" << port << ";\n";
    conf << "    root " << dir << "/www;\n"
         << "    location = /health { return 200 \"ok\\n\"; }\n"
         << "    location = /whoami { return 200 \"$remote_addr\\n\"; }\n"
         << "    location /slow/ { alias " << dir << "/www/; limit_rate 1m; }\n"
         << "    location /upload/ {\n"
         << "      root " << dir << ";\n"
         << "      dav_methods PUT DELETE;\n"
         << "      create_full_put_path on;\n"
         << "      client_max_body_size 0;\n"
         << "    }\n"
         << "  }\n"
         << "}\n";
    return conf.str();
}

std::vector<std::string> topology_addresses(const E2eTopology& topology) {
    return {E2eTopology::kWebV4,       E2eTopology::kSecondWebV4, E2eTopology::kWebV6,
            E2eTopology::kSecondWebV6, topology.server_v4(),      topology.server_v6()};
}

}  // namespace

std::string write_pattern_file(const std::string& path, std::uint64_t size, std::uint64_t seed) {
    std::FILE* out = std::fopen(path.c_str(), "wb");
    if (!out) throw std::runtime_error("cannot create " + path);
    Sha256 sha;
    // xorshift64*: fast and without visible structure; seed 0 is a fixed point, avoided.
    std::uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
    std::vector<std::uint64_t> block(1 << 17);  // 1 MiB
    std::uint64_t left = size;
    while (left > 0) {
        for (auto& word : block) {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            word = state * 0x2545F4914F6CDD1Dull;
        }
        const std::size_t bytes =
            static_cast<std::size_t>(std::min<std::uint64_t>(left, block.size() * 8));
        sha.update(block.data(), bytes);
        if (std::fwrite(block.data(), 1, bytes, out) != bytes) {
            std::fclose(out);
            throw std::runtime_error("short write to " + path);
        }
        left -= bytes;
    }
    if (std::fclose(out) != 0) throw std::runtime_error("cannot close " + path);
    return sha.hex();
}

std::string sha256_file(const std::string& path) {
    std::FILE* in = std::fopen(path.c_str(), "rb");
    if (!in) throw std::runtime_error("cannot read " + path);
    Sha256 sha;
    std::vector<char> block(1 << 20);
    for (std::size_t got; (got = std::fread(block.data(), 1, block.size(), in)) > 0;)
        sha.update(block.data(), got);
    std::fclose(in);
    return sha.hex();
}

NginxServer::NginxServer(const E2eTopology& topology)
    : NginxServer(Options{
          .netns = topology.server_ns(), .addresses = topology_addresses(topology), .port = 80}) {}

NginxServer::NginxServer(Options options) : port_(options.port) {
    for (const char* sub : {"www", "upload", "tmp"})
        std::filesystem::create_directories(dir_.file(sub));
    dir_.write("nginx.conf", nginx_config(dir_.path(), options.addresses, port_));
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"nginx", "-p", dir_.path(), "-c", dir_.file("nginx.conf"), "-e",
                                 dir_.file("error.log")},
        ChildProcess::Options{.netns = options.netns,
                              .stdout_path = dir_.file("nginx.out"),
                              .stderr_path = dir_.file("nginx.err"),
                              .env = {}});
    const std::string probe = options.addresses.empty() ? "127.0.0.1" : options.addresses.front();
    if (!wait_for_tcp_port(probe, port_, 10s, options.netns)) {
        process_->kill();
        throw std::runtime_error("nginx did not start:\n" + read_all(dir_.file("nginx.err")) +
                                 error_log());
    }
}

NginxServer::~NginxServer() {
    process_->kill();
}

NginxServer::ServedFile NginxServer::add_file(const std::string& name, std::uint64_t size,
                                              std::uint64_t seed) {
    ServedFile file{
        .url_path = "/" + name, .disk_path = dir_.file("www/" + name), .size = size, .sha256 = ""};
    file.sha256 = write_pattern_file(file.disk_path, size, seed);
    return file;
}

std::string NginxServer::uploaded_path(const std::string& name) const {
    return dir_.file("upload/" + name);
}

std::string NginxServer::url(const std::string& address, const std::string& path) const {
    std::string out = "http://" + bracketed(address);
    if (port_ != 80) {  // two appends: `":" + string` trips GCC 12's -Wrestrict in Release
        out += ':';
        out += std::to_string(port_);
    }
    return out + path;
}

std::string NginxServer::error_log() const {
    return read_all(dir_.file("error.log"));
}

HttpTransfer http_get_sha256(const std::string& netns, const std::string& url,
                             const std::vector<std::string>& curl_options,
                             std::chrono::milliseconds timeout) {
    // The body never touches the disk: curl streams into sha256sum; pipefail keeps
    // curl's own failure visible.
    std::string script = "set -o pipefail; curl -sS --fail";
    for (const auto& option : curl_options) script += " '" + option + "'";
    script += " '" + url + "' | sha256sum";
    auto result = run_command({"bash", "-c", script}, timeout, netns);
    HttpTransfer transfer{.exit_code = result.exit_code, .sha256 = ""};
    if (result.exit_code == 0) transfer.sha256 = result.out.substr(0, 64);
    return transfer;
}

int http_put_file(const std::string& netns, const std::string& url, const std::string& path,
                  const std::vector<std::string>& curl_options, std::chrono::milliseconds timeout) {
    std::vector<std::string> argv = {"curl", "-sS", "--fail", "-o", "/dev/null", "-T", path};
    argv.insert(argv.end(), curl_options.begin(), curl_options.end());
    argv.push_back(url);
    return run_command(argv, timeout, netns).exit_code;
}

}  // namespace shunt::test
