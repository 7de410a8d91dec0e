// A real nginx as the web target of the end-to-end tests: runs in a namespace (usually
// E2eTopology's server), serves files a test generates with a known sha256, and stores
// uploads (HTTP PUT, any size) so a test can sha256-check both directions. All of its
// files (config, pid, logs, temp bodies, served and uploaded data) live in a TempDir
// removed with the object; nginx runs in the foreground and is killed with its workers.
//
//   GET  /NAME          a file made by add_file()
//   GET  /slow/NAME     the same, sent at 1 MB/s (for mid-transfer aborts)
//   PUT  /upload/NAME   stored at uploaded_path(NAME); 201 Created (204 when replaced)
//   GET  /upload/NAME   reads it back
//   GET  /health        "ok\n"
//   GET  /whoami        the client's address and a newline (which path a connection took)
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"

namespace shunt::test {

class E2eTopology;

// Writes `size` bytes of a fixed pseudo-random sequence determined by `seed` (no long
// runs, nothing compressible, never sparse) and returns its sha256 as lowercase hex.
std::string write_pattern_file(const std::string& path, std::uint64_t size, std::uint64_t seed);
// sha256 of a file's contents as lowercase hex; throws std::runtime_error if unreadable.
std::string sha256_file(const std::string& path);

// curl inside `netns` (empty: here). `curl_options` go before the URL, e.g.
// {"--resolve", "www.e2e.test:80:198.18.0.5"}; they are single-quoted for the shell in
// http_get_sha256, so they must not contain a quote.
struct HttpTransfer {
    int exit_code = -1;  // curl's (22: HTTP error, 7: refused, 56: reset, ...)
    std::string sha256;  // of the body received; empty unless exit_code == 0
};
HttpTransfer http_get_sha256(const std::string& netns, const std::string& url,
                             const std::vector<std::string>& curl_options = {},
                             std::chrono::milliseconds timeout = std::chrono::seconds(60));
// PUTs the file at `path` to `url`; returns curl's exit code (0: a 2xx answer).
int http_put_file(const std::string& netns, const std::string& url, const std::string& path,
                  const std::vector<std::string>& curl_options = {},
                  std::chrono::milliseconds timeout = std::chrono::seconds(60));

class NginxServer {
  public:
    struct Options {
        std::string netns;                   // empty: the test's own namespace
        std::vector<std::string> addresses;  // v4 or v6 literals; empty: all (port only)
        int port = 80;
    };

    struct ServedFile {
        std::string url_path;   // "/NAME"
        std::string disk_path;  // where nginx reads it
        std::uint64_t size = 0;
        std::string sha256;  // lowercase hex
    };

    // In `topology`'s server namespace on port 80 of both web addresses of each family
    // and the server's veth addresses.
    explicit NginxServer(const E2eTopology& topology);
    // Starts nginx and waits until it accepts connections; throws std::runtime_error
    // with nginx's error log when it does not come up.
    explicit NginxServer(Options options);
    ~NginxServer();
    NginxServer(const NginxServer&) = delete;
    NginxServer& operator=(const NginxServer&) = delete;

    // Generates a file to serve (see write_pattern_file). 100 MB takes well under a
    // second; the disk space is returned when the server goes away.
    ServedFile add_file(const std::string& name, std::uint64_t size, std::uint64_t seed = 1);
    // Where a PUT to /upload/NAME lands.
    std::string uploaded_path(const std::string& name) const;

    // "http://ADDRESS[:PORT]PATH" with v6 literals bracketed; the port only if not 80.
    std::string url(const std::string& address, const std::string& path) const;

    pid_t pid() const { return process_->pid(); }  // the master (workers share its group)
    int port() const { return port_; }
    std::string error_log() const;

  private:
    TempDir dir_;
    int port_;
    std::unique_ptr<ChildProcess> process_;
};

}  // namespace shunt::test
