#include "api/static_files.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include "api/builtin_dashboard.hpp"

namespace shunt::api {

namespace http = boost::beast::http;

namespace {

constexpr std::size_t kMaxFile = 64u << 20;  // a dashboard's biggest bundle is a few MB

// The segments after "ui", each a plain file or directory name; nullopt for anything
// that could name something else ("..", "x/y" from %2F, a NUL, a '%' still encoded).
std::optional<std::string> relative_path(const std::vector<std::string>& segments) {
    std::string path;
    for (std::size_t i = 1; i < segments.size(); ++i) {
        const std::string& s = segments[i];
        if (s.empty()) {
            if (i + 1 == segments.size()) break;  // "/ui/dir/": the directory itself
            return std::nullopt;                  // "//"
        }
        if (s == "." || s == ".." ||
            s.find_first_of(std::string_view("/\\%\0", 4)) != std::string::npos)
            return std::nullopt;
        path += (path.empty() ? "" : "/") + s;
    }
    return path;
}

class FdCloser {
  public:
    explicit FdCloser(int fd) : fd_(fd) {}
    ~FdCloser() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }

  private:
    int fd_;
};

// Opens `path` beneath `root`; -1 when it does not exist or would leave the directory.
int open_beneath(int root, const std::string& path) {
    open_how how{};
    how.flags = O_RDONLY | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    return static_cast<int>(
        ::syscall(SYS_openat2, root, path.empty() ? "." : path.c_str(), &how, sizeof how));
}

ApiResponse serve_file(const std::string& directory, const std::string& path) {
    FdCloser root(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (root.get() < 0) return not_found_response();
    FdCloser file(open_beneath(root.get(), path));
    if (file.get() < 0) return not_found_response();
    struct stat info {};
    if (::fstat(file.get(), &info) != 0) return not_found_response();
    std::string name = path;
    if (S_ISDIR(info.st_mode)) {
        FdCloser index(open_beneath(file.get(), "index.html"));
        if (index.get() < 0 || ::fstat(index.get(), &info) != 0 || !S_ISREG(info.st_mode))
            return not_found_response();
        return serve_file(directory, path.empty() ? "index.html" : path + "/index.html");
    }
    if (!S_ISREG(info.st_mode) || static_cast<std::size_t>(info.st_size) > kMaxFile)
        return not_found_response();
    ApiResponse response;
    response.body.resize(static_cast<std::size_t>(info.st_size));
    std::size_t done = 0;
    while (done < response.body.size()) {
        const auto n = ::read(file.get(), response.body.data() + done, response.body.size() - done);
        if (n <= 0) return not_found_response();
        done += static_cast<std::size_t>(n);
    }
    response.content_type = std::string(content_type_for(name));
    return response;
}

ApiResponse serve_builtin(const std::string& path) {
    if (!path.empty() && path != "index.html") return not_found_response();
    ApiResponse response;
    response.body = std::string(builtin_dashboard());
    response.content_type = "text/html; charset=utf-8";
    // The page needs nothing from elsewhere: say so to the browser as well.
    response.headers.emplace_back(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
        "connect-src 'self' ws: wss:; img-src 'self' data:");
    return response;
}

}  // namespace

std::string_view content_type_for(std::string_view file_name) {
    static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".webmanifest", "application/manifest+json"},
        {".map", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".ico", "image/x-icon"},
        {".webp", "image/webp"},
        {".woff", "font/woff"},
        {".woff2", "font/woff2"},
        {".ttf", "font/ttf"},
        {".txt", "text/plain; charset=utf-8"},
    };
    for (const auto& [extension, type] : kTypes)
        if (file_name.size() >= extension.size() &&
            file_name.substr(file_name.size() - extension.size()) == extension)
            return type;
    return "application/octet-stream";
}

void add_static_file_endpoints(ApiRouter& router, std::string directory) {
    router.add(http::verb::get, "/ui", [](const ApiRequest&, const PathParameters&) {
        ApiResponse response;
        response.status = http::status::temporary_redirect;
        response.headers.emplace_back("Location", "/ui/");
        return response;
    });
    router.add(
        http::verb::get, "/ui/{*path}",
        [directory = std::move(directory)](const ApiRequest& request, const PathParameters&) {
            const auto path = relative_path(request.target.segments);
            if (!path) return not_found_response();
            return directory.empty() ? serve_builtin(*path) : serve_file(directory, *path);
        });
}

}  // namespace shunt::api
