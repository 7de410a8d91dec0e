#include "netstack/system_dns/resolv_conf_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace shunt::netstack {

namespace {

// The marker: the second line of every file shunt writes. What follows names the saved
// original, or "none" when there was no file.
constexpr std::string_view kOriginalMarker = "# shunt-original: ";
constexpr std::string_view kNoOriginal = "none";

std::runtime_error failure(const std::string& step, const std::string& path, int error) {
    return std::runtime_error("system DNS: " + step + " " + path + ": " + std::strerror(error));
}

std::optional<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void write_all(int fd, const std::string& content, const std::string& path) {
    std::size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw failure("write", path, errno);
        done += static_cast<std::size_t>(n);
    }
}

// Truncates and writes the file itself: a mount point (a bind-mounted resolv.conf) cannot
// be renamed over.
void write_in_place(const std::string& path, const std::string& content) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) throw failure("open", path, errno);
    try {
        write_all(fd, content, path);
        ::fsync(fd);
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);
}

bool is_regular_file(const std::string& path) {
    struct stat status {};
    return ::lstat(path.c_str(), &status) == 0 && S_ISREG(status.st_mode);
}

// Writes a sibling and renames it over `path` (which may be a symlink: the link itself is
// replaced), so a reader sees the old file or the new one, never half of one.
void write_replacing(const std::string& path, const std::string& content, mode_t mode) {
    const std::string temporary = path + ".shunt-new";
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    // A read-only directory around a writable file (systemd's ProtectSystem=strict with
    // ReadWritePaths=/etc/resolv.conf): the file itself can still be written.
    if (fd < 0 && (errno == EROFS || errno == EACCES) && is_regular_file(path))
        return write_in_place(path, content);
    if (fd < 0) throw failure("create", temporary, errno);
    try {
        write_all(fd, content, temporary);
        ::fchmod(fd, mode);
        ::fsync(fd);
    } catch (...) {
        ::close(fd);
        ::unlink(temporary.c_str());
        throw;
    }
    ::close(fd);
    if (::rename(temporary.c_str(), path.c_str()) == 0) return;
    const int error = errno;
    ::unlink(temporary.c_str());
    if (error == EBUSY) return write_in_place(path, content);
    throw failure("replace", path, error);
}

void replace_with_symlink(const std::string& path, const std::string& target) {
    const std::string temporary = path + ".shunt-new";
    ::unlink(temporary.c_str());
    if (::symlink(target.c_str(), temporary.c_str()) != 0)
        throw failure("create symlink", temporary, errno);
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        const int error = errno;
        ::unlink(temporary.c_str());
        throw failure("replace", path, error);
    }
}

std::optional<std::string> read_link(const std::string& path) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(path, ec);
    if (ec) return std::nullopt;
    return target.string();
}

// The backup a file of shunt's names, or std::nullopt when `content` is not shunt's.
std::optional<std::string> marked_original(const std::string& content) {
    std::istringstream lines(content);
    std::string line;
    for (int i = 0; i < 3 && std::getline(lines, line); ++i)
        if (line.rfind(kOriginalMarker, 0) == 0) return line.substr(kOriginalMarker.size());
    return std::nullopt;
}

// The lines of the original that still apply with another nameserver.
std::string kept_lines(const std::string& original) {
    std::istringstream lines(original);
    std::string line, kept;
    while (std::getline(lines, line))
        if (line.rfind("search", 0) == 0 || line.rfind("domain", 0) == 0 ||
            line.rfind("options", 0) == 0)
            kept += line + "\n";
    return kept;
}

// Puts `original` (a saved file, a saved symlink, or "none") back at `path` and removes
// the copy.
std::string put_back(const std::string& path, const std::string& original) {
    if (original == kNoOriginal) {
        if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw failure("remove", path, errno);
        return "removed " + path + " (there was none before shunt)";
    }
    if (auto target = read_link(original)) {
        replace_with_symlink(path, *target);
    } else {
        auto content = read_file(original);
        if (!content)
            throw std::runtime_error("system DNS: the original " + path + " saved in " + original +
                                     " is gone; " + path +
                                     " still names shunt's DNS: write it by hand");
        write_replacing(path, *content, 0644);
    }
    ::unlink(original.c_str());
    return "restored " + path + " from " + original;
}

}  // namespace

ResolvConfFile::ResolvConfFile(std::string path, std::string backup_path)
    : path_(std::move(path)), backup_path_(std::move(backup_path)) {}

ResolvConfFile::~ResolvConfFile() {
    restore();
}

void ResolvConfFile::apply(const IpAddress& server) {
    if (applied_) return;
    if (auto leftover = restore_leftover(path_)) {
        if (!leftover->restored) throw std::runtime_error(leftover->message);
        spdlog::warn("system DNS: {} (left by a run that did not stop)", leftover->message);
    }

    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(backup_path_).parent_path(), ec);
    struct stat status {};
    std::string original = std::string(kNoOriginal);
    std::string previous;
    if (::lstat(path_.c_str(), &status) == 0) {
        original = backup_path_;
        ::unlink(backup_path_.c_str());
        if (S_ISLNK(status.st_mode)) {
            auto target = read_link(path_);
            if (!target || ::symlink(target->c_str(), backup_path_.c_str()) != 0)
                throw failure("save the symlink", path_ + " as " + backup_path_, errno);
        } else {
            auto content = read_file(path_);
            if (!content) throw failure("read", path_, errno);
            write_replacing(backup_path_, *content, 0644);
        }
        previous = read_file(path_).value_or("");
    } else if (errno != ENOENT) {
        throw failure("inspect", path_, errno);
    }

    const std::string ours =
        "# Written by shunt while it runs; the original comes back when it stops (or with\n"
        "# `shunt cleanup`).\n" +
        std::string(kOriginalMarker) + original + "\n" + "nameserver " + server.to_string() + "\n" +
        kept_lines(previous);
    try {
        write_replacing(path_, ours, 0644);
    } catch (...) {
        if (original != kNoOriginal) ::unlink(backup_path_.c_str());
        throw;
    }
    applied_ = true;
    spdlog::info("system DNS: {} names {} (the original is saved in {})", path_, server.to_string(),
                 original);
}

void ResolvConfFile::restore() noexcept {
    if (!applied_) return;
    applied_ = false;
    try {
        auto content = read_file(path_);
        auto original = content ? marked_original(*content) : std::nullopt;
        if (!original) {
            // Another program (NetworkManager, dhclient) wrote it meanwhile: its file is
            // newer than the one shunt saved.
            spdlog::warn(
                "system DNS: {} was rewritten by another program while shunt ran; "
                "left as it is",
                path_);
            ::unlink(backup_path_.c_str());
            return;
        }
        spdlog::info("system DNS: {}", put_back(path_, *original));
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
    }
}

std::optional<ResolvConfFile::Leftover> ResolvConfFile::restore_leftover(const std::string& path) {
    auto content = read_file(path);
    if (!content) return std::nullopt;
    auto original = marked_original(*content);
    if (!original) return std::nullopt;
    try {
        return Leftover{true, put_back(path, *original)};
    } catch (const std::exception& e) {
        return Leftover{false, e.what()};
    }
}

}  // namespace shunt::netstack
