// The persistent fake-IP store: an append-only log file (format and guarantees in
// docs/fake-ip-store.md).
//
// Every record reaches the kernel in one write(2) before record_assign() returns, so a
// kill -9 right after loses nothing; flush() adds fdatasync for power loss. The file is
// locked (flock) for the store's lifetime so two shunt processes cannot interleave
// records. Opening repairs a torn tail (crash artefact) and moves a corrupt file aside.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "dns/pool/pool_store.hpp"

namespace shunt::dns {

class FilePoolStore final : public PoolStore {
  public:
    // Opens or creates the store (creating missing parent directories), locks it and
    // checks it. Throws std::runtime_error naming the path and the cause when the file
    // cannot be opened or created, is in use by another process, or was written by a
    // newer format version. A corrupt file is not an error: it is moved aside.
    explicit FilePoolStore(std::string path);
    ~FilePoolStore() override;
    FilePoolStore(const FilePoolStore&) = delete;
    FilePoolStore& operator=(const FilePoolStore&) = delete;

    void load(const std::function<void(const PoolRecord&)>& visit) override;
    void record_assign(const IpAddress& address, std::string_view name) override;
    void record_release(const IpAddress& address) override;
    void compact(std::span<const PoolRecord> live) override;
    void flush() override;
    bool lost_its_file() const override;
    bool is_persistent() const override { return true; }
    std::string describe() const override { return "file " + path_; }

    const std::string& path() const { return path_; }
    // Bytes in the file (header included); for tests and logs.
    std::uint64_t file_size() const { return size_; }

  private:
    void check_and_repair();
    void start_fresh(int fd);
    void move_aside_and_start_fresh(const std::string& reason);
    void append(const PoolRecord& record);

    std::string path_;
    int fd_ = -1;
    std::uint64_t size_ = 0;   // valid bytes; the file is cut back here after a failed append
    bool tail_dirty_ = false;  // a failed append could not be cut back yet
};

}  // namespace shunt::dns
