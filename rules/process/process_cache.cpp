#include "rules/process/process_cache.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <string_view>

#include "rules/process/sock_diag_query.hpp"

namespace shunt::rules {
namespace {

// "socket:[12345]" -> 12345; anything else (files, pipes, anon inodes) -> nullopt.
std::optional<std::uint64_t> socket_inode(std::string_view link) {
    constexpr std::string_view prefix = "socket:[";
    if (link.size() < prefix.size() + 2 || link.substr(0, prefix.size()) != prefix ||
        link.back() != ']')
        return std::nullopt;
    std::uint64_t inode = 0;
    const char* first = link.data() + prefix.size();
    const char* last = link.data() + link.size() - 1;
    auto [end, error] = std::from_chars(first, last, inode);
    if (error != std::errc{} || end != last) return std::nullopt;
    return inode;
}

std::optional<pid_t> parse_pid(const char* name) {
    pid_t pid = 0;
    const char* last = name + std::strlen(name);
    auto [end, error] = std::from_chars(name, last, pid);
    if (error != std::errc{} || end != last || pid <= 0) return std::nullopt;
    return pid;
}

// Calls on_socket(inode) for every socket among `pid`'s open fds. A process that exits
// or closes fds mid-walk just yields fewer entries: the caller treats the result as a
// snapshot, never as truth.
template <typename OnSocket>
void for_each_socket_of(pid_t pid, OnSocket&& on_socket) {
    char path[32];
    std::snprintf(path, sizeof path, "/proc/%d/fd", static_cast<int>(pid));
    DIR* dir = ::opendir(path);
    if (dir == nullptr) return;
    const int dir_fd = ::dirfd(dir);
    char link[64];
    while (const dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] == '.') continue;
        const ssize_t length = ::readlinkat(dir_fd, entry->d_name, link, sizeof link);
        if (length <= 0 || static_cast<std::size_t>(length) >= sizeof link) continue;
        if (auto inode = socket_inode(std::string_view(link, static_cast<std::size_t>(length))))
            on_socket(*inode);
    }
    ::closedir(dir);
}

// All numeric entries of /proc, sorted.
std::vector<pid_t> list_pids() {
    std::vector<pid_t> pids;
    if (DIR* proc = ::opendir("/proc")) {
        while (const dirent* entry = ::readdir(proc))
            if (auto pid = parse_pid(entry->d_name)) pids.push_back(*pid);
        ::closedir(proc);
    }
    std::sort(pids.begin(), pids.end());
    return pids;
}

bool is_alive(pid_t pid) {
    return ::kill(pid, 0) == 0 || errno == EPERM;
}

}  // namespace

ProcessCache::ProcessCache(Options options) : options_(options) {}

std::size_t ProcessCache::OwnerKeyHash::operator()(const OwnerKey& key) const {
    const unsigned __int128 address = key.local.address.to_u128();
    std::uint64_t h = static_cast<std::uint64_t>(address) ^
                      (static_cast<std::uint64_t>(address >> 64) * 0x9e3779b97f4a7c15ull);
    h ^= (std::uint64_t{key.local.port} << 8) | static_cast<std::uint64_t>(key.network) |
         (key.local.address.is_v6() ? 0x80 : 0);
    h *= 0xff51afd7ed558ccdull;
    return static_cast<std::size_t>(h ^ (h >> 33));
}

std::optional<SocketOwner> ProcessCache::find(Network network, const Endpoint& local,
                                              const std::optional<Endpoint>& remote) {
    std::lock_guard lock(mutex_);
    ++stats_.lookups;
    const auto now = Clock::now();
    const OwnerKey key{network, local};
    if (auto owner = cached_owner(key, now)) {
        ++stats_.owner_cache_hits;
        return owner;
    }

    ++stats_.diag_queries;
    const auto identity = query_socket_identity(network, local, remote);
    if (!identity) {
        ++stats_.not_found;
        return std::nullopt;
    }
    SocketOwner owner;
    owner.uid = identity->uid;
    const auto pid = pid_of_inode(identity->inode, now);
    if (!pid || !read_process_identity(*pid, owner)) {
        ++stats_.not_found;
        return std::nullopt;
    }
    owner.pid = *pid;
    note_recent_pid(*pid);
    remember_owner(key, owner, now);
    return owner;
}

std::optional<pid_t> ProcessCache::pid_of_inode(std::uint64_t inode, Clock::time_point now) {
    if (auto it = pid_by_inode_.find(inode); it != pid_by_inode_.end()) {
        if (is_alive(it->second)) {
            ++stats_.inode_cache_hits;
            return it->second;
        }
        pid_by_inode_.erase(it);
    }
    if (scan_recent_pids(inode)) return pid_by_inode_.at(inode);

    if (scan_new_pids(inode)) return pid_by_inode_.at(inode);

    if (last_full_scan_ && now - *last_full_scan_ < options_.min_full_scan_interval) {
        ++stats_.rate_limited_misses;
        return std::nullopt;
    }
    last_full_scan_ = now;
    full_scan();
    if (auto it = pid_by_inode_.find(inode); it != pid_by_inode_.end()) return it->second;
    return std::nullopt;
}

void ProcessCache::full_scan() {
    ++stats_.full_scans;
    // Built aside and swapped in: entries of closed sockets disappear with each scan.
    std::unordered_map<std::uint64_t, pid_t> fresh;
    fresh.reserve(pid_by_inode_.size() + 64);
    std::vector<pid_t> pids = list_pids();
    for (pid_t pid : pids) {
        // emplace keeps the first (lowest) holder of a socket shared across a fork.
        for_each_socket_of(pid, [&](std::uint64_t found) { fresh.emplace(found, pid); });
    }
    pid_by_inode_.swap(fresh);
    scanned_pids_ = std::move(pids);
}

bool ProcessCache::scan_new_pids(std::uint64_t inode) {
    // Before the first full scan every pid is new: let the full scan do it in one pass.
    if (!last_full_scan_) return false;
    ++stats_.new_process_scans;
    std::vector<pid_t> fresh;
    for (pid_t pid : list_pids())
        if (!std::binary_search(scanned_pids_.begin(), scanned_pids_.end(), pid))
            fresh.push_back(pid);
    bool found = false;
    for (pid_t pid : fresh) {
        for_each_socket_of(pid, [&](std::uint64_t seen) {
            pid_by_inode_.emplace(seen, pid);
            found = found || seen == inode;
        });
    }
    // Dead pids stay in the set until the next full scan: harmless, and a reused pid is
    // then rescanned only by that full scan, the price of not listing fds per miss.
    std::vector<pid_t> merged;
    merged.reserve(scanned_pids_.size() + fresh.size());
    std::merge(scanned_pids_.begin(), scanned_pids_.end(), fresh.begin(), fresh.end(),
               std::back_inserter(merged));
    scanned_pids_.swap(merged);
    return found;
}

bool ProcessCache::scan_recent_pids(std::uint64_t inode) {
    if (recent_pids_.empty()) return false;
    ++stats_.targeted_scans;
    bool found = false;
    for (pid_t pid : recent_pids_) {
        for_each_socket_of(pid, [&](std::uint64_t seen) {
            pid_by_inode_.insert_or_assign(seen, pid);
            found = found || seen == inode;
        });
        if (found) return true;
    }
    return false;
}

void ProcessCache::note_recent_pid(pid_t pid) {
    if (options_.recent_pids == 0) return;
    auto it = std::find(recent_pids_.begin(), recent_pids_.end(), pid);
    if (it != recent_pids_.end()) recent_pids_.erase(it);
    recent_pids_.insert(recent_pids_.begin(), pid);
    if (recent_pids_.size() > options_.recent_pids) recent_pids_.resize(options_.recent_pids);
}

std::optional<SocketOwner> ProcessCache::cached_owner(const OwnerKey& key, Clock::time_point now) {
    auto it = owner_index_.find(key);
    if (it == owner_index_.end()) return std::nullopt;
    if (it->second->expires <= now) {
        owners_.erase(it->second);
        owner_index_.erase(it);
        return std::nullopt;
    }
    owners_.splice(owners_.begin(), owners_, it->second);
    return it->second->owner;
}

void ProcessCache::remember_owner(const OwnerKey& key, const SocketOwner& owner,
                                  Clock::time_point now) {
    if (options_.owner_capacity == 0 || options_.owner_ttl.count() <= 0) return;
    const auto expires = now + options_.owner_ttl;
    if (auto it = owner_index_.find(key); it != owner_index_.end()) {
        it->second->owner = owner;
        it->second->expires = expires;
        owners_.splice(owners_.begin(), owners_, it->second);
        return;
    }
    owners_.push_front(OwnerEntry{key, owner, expires});
    owner_index_.emplace(key, owners_.begin());
    if (owners_.size() > options_.owner_capacity) {
        owner_index_.erase(owners_.back().key);
        owners_.pop_back();
    }
}

ProcessCache::Stats ProcessCache::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

void ProcessCache::clear() {
    std::lock_guard lock(mutex_);
    owners_.clear();
    owner_index_.clear();
    pid_by_inode_.clear();
    recent_pids_.clear();
    scanned_pids_.clear();
    last_full_scan_.reset();
}

}  // namespace shunt::rules
