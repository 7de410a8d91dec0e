#include "dns/pool/file_pool_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <vector>

#include <spdlog/spdlog.h>

#include "dns/pool/store_file_format.hpp"

namespace shunt::dns {

namespace format = store_format;

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what, int error) {
    throw std::runtime_error("fake-IP store " + path + ": " + what + ": " + std::strerror(error));
}

std::system_error io_error(const std::string& path, const char* what, int error) {
    return std::system_error(error, std::generic_category(), "fake-IP store " + path + ": " + what);
}

// The pid holding a lock on the file, from /proc/locks ("1: FLOCK ADVISORY WRITE <pid>
// <major>:<minor>:<inode> 0 EOF", major and minor in hex). Best effort: nullopt when
// /proc is not mounted or the holder has just gone.
std::optional<long> lock_holder_pid(dev_t device, ino_t inode) {
    std::ifstream locks("/proc/locks");
    std::string line;
    while (std::getline(locks, line)) {
        if (line.find("->") != std::string::npos) continue;  // a waiter, not the holder
        std::istringstream fields(line);
        std::string previous, field;
        while (fields >> field) {
            unsigned major_id = 0, minor_id = 0;
            unsigned long file_inode = 0;
            int consumed = 0;
            if (std::sscanf(field.c_str(), "%x:%x:%lu%n", &major_id, &minor_id, &file_inode,
                            &consumed) == 3 &&
                static_cast<std::size_t>(consumed) == field.size()) {
                if (major_id == major(device) && minor_id == minor(device) && file_inode == inode)
                    return std::strtol(previous.c_str(), nullptr, 10);
                break;
            }
            previous = field;
        }
    }
    return std::nullopt;
}

// Opens (creating it if needed) and locks `path`. A process that compacts replaces the
// file by rename, so the inode we opened may be dead by the time we hold its lock: then
// the lock protects nothing and we retry on the new file.
int open_locked(const std::string& path) {
    for (int attempt = 0; attempt < 8; ++attempt) {
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd < 0) fail(path, "cannot open or create the store file", errno);
        struct stat opened {};
        if (::fstat(fd, &opened) != 0) {
            int error = errno;
            ::close(fd);
            fail(path, "cannot stat the store file", error);
        }
        if (!S_ISREG(opened.st_mode)) {
            ::close(fd);
            fail(path, "not a regular file", EINVAL);
        }
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int error = errno;
            ::close(fd);
            if (error != EWOULDBLOCK) fail(path, "cannot lock the store file", error);
            auto pid = lock_holder_pid(opened.st_dev, opened.st_ino);
            throw std::runtime_error("fake-IP store " + path +
                                     " is in use by another process (pid " +
                                     (pid ? std::to_string(*pid) : std::string("unknown")) +
                                     "); only one shunt can use a store at a time");
        }
        struct stat current {};
        if (::stat(path.c_str(), &current) == 0 && current.st_dev == opened.st_dev &&
            current.st_ino == opened.st_ino)
            return fd;
        ::close(fd);
    }
    throw std::runtime_error("fake-IP store " + path +
                             ": the file keeps being replaced while opening it");
}

// 0 or the errno of the failure. Loops over EINTR and short writes.
int write_all(int fd, std::span<const std::uint8_t> data) {
    while (!data.empty()) {
        ssize_t written = ::write(fd, data.data(), data.size());
        if (written < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (written == 0) return EIO;
        data = data.subspan(static_cast<std::size_t>(written));
    }
    return 0;
}

// Missing parents of the store are created (subject to the umask): at startup, and when
// the directory was removed while shunt ran.
void create_parent_directories(const std::string& path) {
    auto parent = std::filesystem::path(path).parent_path();
    if (parent.empty()) return;
    std::error_code error;
    std::filesystem::create_directories(parent, error);
    if (error)
        throw std::runtime_error("fake-IP store " + path + ": cannot create directory " +
                                 parent.string() + ": " + error.message());
}

// Makes a create or rename in the store's directory durable.
int fsync_directory_of(const std::string& path) {
    auto directory = std::filesystem::path(path).parent_path();
    if (directory.empty()) directory = ".";
    int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno;
    int error = ::fsync(fd) == 0 ? 0 : errno;
    ::close(fd);
    return error;
}

// A read-only view of the file's first `size` bytes. mmap instead of read(): a log of a
// million records stays in the page cache rather than being copied to the heap.
class FileView {
  public:
    FileView(int fd, std::uint64_t size, const std::string& path) : size_(size) {
        if (size_ == 0) return;
        void* data = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
        if (data == MAP_FAILED) fail(path, "cannot map the store file", errno);
        data_ = static_cast<const std::uint8_t*>(data);
    }
    ~FileView() {
        if (data_) ::munmap(const_cast<std::uint8_t*>(data_), size_);
    }
    FileView(const FileView&) = delete;
    FileView& operator=(const FileView&) = delete;
    std::span<const std::uint8_t> bytes() const { return {data_, size_}; }

  private:
    const std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace

FilePoolStore::FilePoolStore(std::string path) : path_(std::move(path)) {
    if (path_.empty()) throw std::invalid_argument("fake-IP store: empty path");
    create_parent_directories(path_);
    fd_ = open_locked(path_);
    try {
        check_and_repair();
    } catch (...) {
        ::close(fd_);
        throw;
    }
}

FilePoolStore::~FilePoolStore() {
    if (fd_ >= 0) ::close(fd_);
}

void FilePoolStore::check_and_repair() {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) fail(path_, "cannot stat the store file", errno);
    const auto file_size = static_cast<std::uint64_t>(st.st_size);
    if (file_size == 0) return start_fresh(fd_);

    enum class Verdict { valid, torn_header, torn_tail, corrupt } verdict = Verdict::valid;
    std::uint64_t valid_end = format::kHeaderSize;
    std::string problem;
    {
        FileView view(fd_, file_size, path_);
        auto bytes = view.bytes();
        switch (format::check_header(bytes)) {
            case format::HeaderStatus::valid:
                break;
            case format::HeaderStatus::torn:
                verdict = Verdict::torn_header;
                break;
            case format::HeaderStatus::corrupt:
                verdict = Verdict::corrupt;
                problem = "bad header";
                break;
            case format::HeaderStatus::newer_version:
                throw std::runtime_error("fake-IP store " + path_ +
                                         " was written by a newer version of shunt; "
                                         "refusing to overwrite it");
        }
        while (verdict == Verdict::valid && valid_end < file_size) {
            auto decoded = format::decode_record(bytes.subspan(valid_end));
            if (decoded.status == format::RecordStatus::valid) {
                valid_end += decoded.size;
            } else if (decoded.status == format::RecordStatus::torn) {
                verdict = Verdict::torn_tail;
            } else {
                verdict = Verdict::corrupt;
                problem = std::string(decoded.problem) + " at byte " + std::to_string(valid_end);
            }
        }
    }

    switch (verdict) {
        case Verdict::valid:
            size_ = file_size;
            return;
        case Verdict::torn_header:
            spdlog::info(
                "fake-IP store {}: incomplete header (a crash while creating it); "
                "starting it afresh",
                path_);
            return start_fresh(fd_);
        case Verdict::corrupt:
            return move_aside_and_start_fresh(problem);
        case Verdict::torn_tail:
            // The crash interrupted the last write; no assign() had returned for it.
            spdlog::info(
                "fake-IP store {}: dropping {} bytes of an incomplete last record "
                "(left by a crash)",
                path_, file_size - valid_end);
            if (::ftruncate(fd_, static_cast<off_t>(valid_end)) != 0)
                fail(path_, "cannot truncate the incomplete last record", errno);
            if (::fdatasync(fd_) != 0) fail(path_, "fdatasync", errno);
            size_ = valid_end;
            return;
    }
}

void FilePoolStore::start_fresh(int fd) {
    if (::ftruncate(fd, 0) != 0) fail(path_, "cannot truncate the store file", errno);
    auto header = format::encode_header();
    if (int error = write_all(fd, header)) fail(path_, "cannot write the header", error);
    if (::fdatasync(fd) != 0) fail(path_, "fdatasync", errno);
    if (int error = fsync_directory_of(path_)) fail(path_, "cannot sync its directory", error);
    size_ = header.size();
}

void FilePoolStore::move_aside_and_start_fresh(const std::string& reason) {
    std::string target = path_ + ".corrupt-" + std::to_string(std::time(nullptr));
    struct stat existing {};
    for (int n = 2; ::lstat(target.c_str(), &existing) == 0; ++n)
        target = path_ + ".corrupt-" + std::to_string(std::time(nullptr)) + "-" + std::to_string(n);
    // We still hold the lock on the old inode, so nobody else is writing to it.
    if (::rename(path_.c_str(), target.c_str()) != 0)
        fail(path_, "corrupt (" + reason + ") and cannot be moved to " + target, errno);
    spdlog::error(
        "fake-IP store {} is corrupt ({}); moved it to {} and started a fresh, "
        "empty store",
        path_, reason, target);
    int fresh = open_locked(path_);
    ::close(fd_);
    fd_ = fresh;
    start_fresh(fd_);
}

void FilePoolStore::load(const std::function<void(const PoolRecord&)>& visit) {
    FileView view(fd_, size_, path_);
    auto bytes = view.bytes();
    for (std::uint64_t offset = format::kHeaderSize; offset < size_;) {
        auto decoded = format::decode_record(bytes.subspan(offset));
        // The constructor checked every byte and we hold the lock: this cannot happen
        // unless someone ignores the lock.
        if (decoded.status != format::RecordStatus::valid)
            throw std::runtime_error("fake-IP store " + path_ + " changed while in use");
        visit(decoded.record);
        offset += decoded.size;
    }
}

void FilePoolStore::append(const PoolRecord& record) {
    if (tail_dirty_) {
        if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0)
            throw io_error(path_, "cannot cut back a failed write", errno);
        tail_dirty_ = false;
    }
    std::array<std::uint8_t, format::kMaxRecordSize> buffer;
    const std::size_t length = format::encode_record(record, buffer);
    // The whole record in one write(2), no user-space buffer: when this returns, the
    // kernel holds it, and a kill -9 of this process cannot lose it.
    if (int error = write_all(fd_, std::span(buffer.data(), length))) {
        // Cut off any partial record: the next append must not follow garbage.
        if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) tail_dirty_ = true;
        throw io_error(path_, "write", error);
    }
    size_ += length;
}

void FilePoolStore::record_assign(const IpAddress& address, std::string_view name) {
    if (name.empty()) throw std::invalid_argument("fake-IP store: empty name");
    append(PoolRecord{address, name});
}

void FilePoolStore::record_release(const IpAddress& address) {
    append(PoolRecord{address, {}});
}

bool FilePoolStore::lost_its_file() const {
    // An fstat and a stat per appended record (a new name): cheap next to the write itself.
    // Deleted (no link left), or the path no longer leads to it (the file or its directory
    // renamed away, or the path now names another file).
    struct stat open {
    }, named{};
    if (::fstat(fd_, &open) != 0) return false;
    if (open.st_nlink == 0) return true;
    if (::stat(path_.c_str(), &named) != 0) return errno == ENOENT || errno == ENOTDIR;
    return named.st_dev != open.st_dev || named.st_ino != open.st_ino;
}

void FilePoolStore::compact(std::span<const PoolRecord> live) {
    // The directory may have been removed under us (lost_its_file()): made again.
    create_parent_directories(path_);
    const std::string temporary = path_ + ".compact";
    int fd = ::open(temporary.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) throw io_error(temporary, "cannot create the compaction file", errno);
    auto abandon = [&](int error, const char* what) {
        ::close(fd);
        ::unlink(temporary.c_str());
        return io_error(path_, what, error);
    };
    // Locked before it gets its name: once renamed, a second process must find it held.
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0)
        throw abandon(errno, "cannot lock the compaction file");

    constexpr std::size_t kChunk = 64 * 1024;
    std::vector<std::uint8_t> chunk;
    chunk.reserve(kChunk + format::kMaxRecordSize);
    auto header = format::encode_header();
    chunk.insert(chunk.end(), header.begin(), header.end());
    std::uint64_t total = 0;
    std::array<std::uint8_t, format::kMaxRecordSize> record;
    for (std::size_t i = 0; i <= live.size(); ++i) {
        if (i < live.size()) {
            std::size_t length = 0;
            try {
                length = format::encode_record(live[i], record);
            } catch (const std::invalid_argument&) {
                throw abandon(EINVAL, "compaction: name longer than 255 bytes");
            }
            chunk.insert(chunk.end(), record.begin(), record.begin() + length);
        }
        if (chunk.size() >= kChunk || (i == live.size() && !chunk.empty())) {
            if (int error = write_all(fd, chunk)) throw abandon(error, "compaction: write");
            total += chunk.size();
            chunk.clear();
        }
    }
    if (::fdatasync(fd) != 0) throw abandon(errno, "compaction: fdatasync");
    if (::rename(temporary.c_str(), path_.c_str()) != 0) throw abandon(errno, "compaction: rename");
    if (int error = fsync_directory_of(path_))
        spdlog::warn("fake-IP store {}: cannot sync its directory after compaction: {}", path_,
                     std::strerror(error));
    ::close(fd_);
    fd_ = fd;
    size_ = total;
    tail_dirty_ = false;
}

void FilePoolStore::flush() {
    if (::fdatasync(fd_) != 0) throw io_error(path_, "fdatasync", errno);
}

}  // namespace shunt::dns
