#include "tests/support/tmpfs_mount.hpp"

#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

namespace shunt::test {

TmpfsMount::TmpfsMount(std::string directory, std::size_t bytes)
    : directory_(std::move(directory)) {
    std::filesystem::create_directories(directory_);
    const std::string options = "size=" + std::to_string(bytes) + ",mode=0700";
    if (::mount("tmpfs", directory_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0)
        throw std::system_error(errno, std::generic_category(), "mount tmpfs on " + directory_);
}

TmpfsMount::~TmpfsMount() {
    ::umount2(directory_.c_str(), MNT_DETACH);
}

void TmpfsMount::resize(std::size_t bytes) {
    remount("size=" + std::to_string(bytes), 0);
}

void TmpfsMount::make_read_only() {
    remount("", MS_RDONLY);
}

void TmpfsMount::remount(const std::string& options, unsigned long extra_flags) {
    if (::mount("tmpfs", directory_.c_str(), "tmpfs",
                MS_REMOUNT | MS_NOSUID | MS_NODEV | extra_flags,
                options.empty() ? nullptr : options.c_str()) != 0)
        throw std::system_error(errno, std::generic_category(), "remount " + directory_);
}

}  // namespace shunt::test
