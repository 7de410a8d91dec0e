#include "base/regular_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace shunt {
namespace {

std::string size_text(std::size_t bytes) {
    if (bytes >= (std::size_t{1} << 20) && bytes % (std::size_t{1} << 20) == 0)
        return std::to_string(bytes >> 20) + " MiB";
    return std::to_string(bytes) + " bytes";
}

const char* kind_of(mode_t mode) {
    if (S_ISFIFO(mode)) return "a fifo";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a file";
}

// Why a file with this status is not one to read ("" when it is).
std::string why_not(const struct stat& info, std::size_t max_bytes) {
    if (S_ISDIR(info.st_mode)) return "it is a directory";
    if (!S_ISREG(info.st_mode))
        return std::string("not a regular file (") + kind_of(info.st_mode) + ")";
    if (static_cast<std::size_t>(info.st_size) > max_bytes)
        return "larger than " + size_text(max_bytes);
    return {};
}

// An open descriptor of a regular file no larger than max_bytes, or -1 and why.
int open_checked(const std::string& path, std::size_t max_bytes, std::string& why) {
    // Checked before opening: opening a device can have effects of its own (a watchdog
    // arms), and opening a FIFO wakes its writer.
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        why = std::strerror(errno);
        return -1;
    }
    if (why = why_not(info, max_bytes); !why.empty()) return -1;
    // O_NONBLOCK: should the path have been swapped for a FIFO since, the open does not
    // wait for a writer (and a regular file of /proc or tracefs does not block a read).
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        why = std::strerror(errno);
        return -1;
    }
    why = ::fstat(fd, &info) != 0 ? std::strerror(errno) : why_not(info, max_bytes);
    if (why.empty()) return fd;
    ::close(fd);
    return -1;
}

}  // namespace

std::string why_not_readable_file(const std::string& path, std::size_t max_bytes) {
    std::string why;
    const int fd = open_checked(path, max_bytes, why);
    if (fd >= 0) ::close(fd);
    return why;
}

std::optional<std::string> read_regular_file(const std::string& path, std::size_t max_bytes,
                                             std::string* error) {
    std::string why;
    const int fd = open_checked(path, max_bytes, why);
    if (fd < 0) {
        if (error != nullptr) *error = why;
        return std::nullopt;
    }
    std::string content;
    char buffer[1 << 16];
    for (;;) {
        const ssize_t got = ::read(fd, buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            why = std::strerror(errno);
            break;
        }
        if (got == 0) break;
        content.append(buffer, static_cast<std::size_t>(got));
        // The file may grow while it is read: the bound holds for what is read.
        if (content.size() > max_bytes) {
            why = "larger than " + size_text(max_bytes);
            break;
        }
    }
    ::close(fd);
    if (!why.empty()) {
        if (error != nullptr) *error = why;
        return std::nullopt;
    }
    return content;
}

}  // namespace shunt
