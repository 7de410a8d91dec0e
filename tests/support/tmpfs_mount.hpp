// A small tmpfs mounted on a directory for the life of the object: a disk that fills up
// (size), or is remounted read-only, without touching the machine's own filesystems.
// Unmounted (lazily, so a process still holding a file does not keep it busy) by the
// destructor, also when a test fails. Needs root.
#pragma once

#include <cstddef>
#include <string>

namespace shunt::test {

class TmpfsMount {
  public:
    // Creates `directory` if needed and mounts a tmpfs of `bytes` on it; throws
    // std::system_error when the mount fails.
    TmpfsMount(std::string directory, std::size_t bytes);
    ~TmpfsMount();
    TmpfsMount(const TmpfsMount&) = delete;
    TmpfsMount& operator=(const TmpfsMount&) = delete;

    const std::string& path() const { return directory_; }
    // Remounts with another size or read-only; throws std::system_error (EBUSY when
    // making it read-only while a file on it is open for writing).
    void resize(std::size_t bytes);
    void make_read_only();

  private:
    void remount(const std::string& options, unsigned long extra_flags);

    std::string directory_;
};

}  // namespace shunt::test
