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

// An open descriptor of a regular file no larger than max_bytes, or -1 and why.
int open_checked(const std::string& path, std::size_t max_bytes, std::string& why) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer. Regular files ignore it.
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        why = std::strerror(errno);
        return -1;
    }
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        why = std::strerror(errno);
    } else if (S_ISDIR(info.st_mode)) {
        why = "it is a directory";
    } else if (!S_ISREG(info.st_mode)) {
        why = std::string("not a regular file (") + kind_of(info.st_mode) + ")";
    } else if (static_cast<std::size_t>(info.st_size) > max_bytes) {
        why = "larger than " + size_text(max_bytes);
    } else {
        return fd;
    }
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
