// FakeIpPool on a FilePoolStore: what survives a clean shutdown, a crash and a full disk.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "dns/pool/fake_ip_pool.hpp"
#include "dns/pool/file_pool_store.hpp"
#include "tests/dns/pool/pool_test_util.hpp"
#include "tests/support/child_process.hpp"

namespace shunt::dns {
namespace {

using Family = IpAddress::Family;
using test::address;
using test::CapturedLog;
using test::file_pool;
using test::memory_pool;
using test::name;
using test::offset;
using test::prefix;
using test::TempDir;

TEST(FakeIpPool, CleanShutdownKeepsTheExactLruOrder) {
    TempDir dir;
    const std::string path = dir.file("fakeip.db");
    std::vector<IpAddress> given;
    {
        auto pool = file_pool(path);
        for (int i = 0; i < 5; ++i) given.push_back(pool->assign(name(i), Family::v4));
        pool->lookup(given[0]);
        pool->lookup(given[1]);
    }
    auto pool = file_pool(path);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(pool->find(name(i), Family::v4), given[i]);
    EXPECT_EQ(pool->assign(name(5), Family::v4), given[2]);  // 2 is the LRU, not 0
}

// What a kill -9 leaves is exactly what the file holds while the pool runs, so a copy of
// the live file is a crash snapshot.
std::string crash_snapshot(const std::string& path) {
    const std::string copy = path + ".crash-copy";
    std::filesystem::copy_file(path, copy, std::filesystem::copy_options::overwrite_existing);
    return copy;
}

TEST(FakeIpPool, AfterACrashTheLruOrderIsTheRecordOrder) {
    TempDir dir;
    const std::string path = dir.file("fakeip.db");
    auto pool = file_pool(path);
    std::vector<IpAddress> given;
    for (int i = 0; i < 5; ++i) given.push_back(pool->assign(name(i), Family::v4));
    pool->lookup(given[0]);  // not written: lookups are not persisted
    auto crashed = file_pool(crash_snapshot(path));
    for (int i = 0; i < 5; ++i) EXPECT_EQ(crashed->find(name(i), Family::v4), given[i]);
    EXPECT_EQ(crashed->assign(name(5), Family::v4), given[0]);  // the record order's oldest
    EXPECT_EQ(pool->assign(name(5), Family::v4), given[1]);     // the live pool's LRU
}

TEST(FakeIpPool, AllocationContinuesAboveEveryAddressEverUsed) {
    TempDir dir;
    const std::string path = dir.file("fakeip.db");
    auto drop_top = [](FakeIpPool& pool) {
        pool.assign("a.example", Family::v4);
        pool.assign("b.example", Family::v4);
        pool.assign("c.example", Family::v4);  // offset 4
        pool.drop_if([](std::string_view n) { return n == "c.example"; });
    };
    {
        auto pool = file_pool(path);
        drop_top(*pool);
        // Crash: the log still holds c's assign and release.
        auto crashed = file_pool(crash_snapshot(path));
        EXPECT_EQ(offset(*crashed, crashed->assign("d.example", Family::v4)), 5u);
    }
    // Clean shutdown compacted c away; a release record keeps its offset used.
    auto pool = file_pool(path);
    EXPECT_EQ(pool->size(Family::v4), 2u);
    EXPECT_EQ(offset(*pool, pool->assign("d.example", Family::v4)), 5u);
}

TEST(FakeIpPool, StoredRecordsOutsideTheRangesAreIgnoredAndDropped) {
    TempDir dir;
    const std::string path = dir.file("fakeip.db");
    {
        FilePoolStore store(path);
        store.record_assign(address("198.18.0.2"), "kept.example");
        store.record_assign(address("10.0.0.2"), "other-range.example");
        store.record_assign(address("198.18.0.1"), "gateway.example");    // reserved
        store.record_assign(address("198.18.0.7"), "broadcast.example");  // reserved
        store.record_assign(address("fc00::2"), "no-v6-range.example");
        store.record_assign(address("198.18.0.3"), "twice.example");
        store.record_assign(address("198.18.0.4"), "twice.example");  // the later one wins
    }
    {
        CapturedLog log;
        auto pool = file_pool(path);
        EXPECT_NE(log.text().find("[info] fake-IP pool: ignoring 4 stored records"),
                  std::string::npos)
            << log.text();
        EXPECT_EQ(pool->size(Family::v4), 2u);
        EXPECT_EQ(pool->find("kept.example", Family::v4), address("198.18.0.2"));
        EXPECT_EQ(pool->find("twice.example", Family::v4), address("198.18.0.4"));
        EXPECT_FALSE(pool->lookup(address("198.18.0.3")));
        // 198.18.0.3 is a hole below the high-water mark: used only once 5 and 6 are gone.
        EXPECT_EQ(offset(*pool, pool->assign("new.example", Family::v4)), 5u);
    }
    FilePoolStore store(path);
    std::vector<std::string> names;
    store.load([&](const PoolRecord& r) { names.emplace_back(r.name); });
    EXPECT_EQ(names, (std::vector<std::string>{"kept.example", "twice.example", "new.example"}));
}

// A record whose name is not what the DNS server would ever assign (upper case, a space,
// an empty label: written by something else, or damaged with a valid CRC) is never served:
// the rules would see it as it is.
TEST(FakeIpPool, StoredNamesThatAreNotNormalisedAreIgnoredAndDropped) {
    TempDir dir;
    const std::string path = dir.file("fakeip.db");
    {
        FilePoolStore store(path);
        store.record_assign(address("198.18.0.2"), "kept.example");
        store.record_assign(address("198.18.0.3"), "Upper.Example");
        store.record_assign(address("198.18.0.4"), "with space.example");
        store.record_assign(address("198.18.0.5"), "empty..label");
        store.record_assign(address("198.18.0.6"), "trailing.dot.");
    }
    {
        CapturedLog log;
        auto pool = file_pool(path);
        EXPECT_NE(log.text().find("ignoring 4 stored records whose name is not a normalised"),
                  std::string::npos)
            << log.text();
        EXPECT_EQ(pool->size(Family::v4), 1u);
        EXPECT_EQ(pool->lookup(address("198.18.0.2")), "kept.example");
        for (const char* a : {"198.18.0.3", "198.18.0.4", "198.18.0.5", "198.18.0.6"})
            EXPECT_FALSE(pool->lookup(address(a))) << a;
    }
    FilePoolStore store(path);
    std::vector<std::string> names;
    store.load([&](const PoolRecord& r) { names.emplace_back(r.name); });
    EXPECT_EQ(names, (std::vector<std::string>{"kept.example"}));
}

// The acceptance scenario: a process assigns names and is SIGKILLed at an arbitrary
// moment; every name it had been given an answer for keeps its address, and no address
// it handed out goes to a different name afterwards.
TEST(FakeIpPool, KillNineMidStreamKeepsEveryAnsweredName) {
    TempDir dir;
    const std::string path = dir.file("state/fakeip.db");
    int report[2];
    ASSERT_EQ(::pipe(report), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(report[0]);
        try {
            auto pool = file_pool(path, "198.18.0.0/16");
            for (int i = 0;; ++i) {
                auto given = pool->assign(name(i), Family::v4).v4();
                if (::write(report[1], &given, sizeof given) != sizeof given) ::_exit(0);
            }
        } catch (...) {
            ::_exit(3);
        }
    }
    ::close(report[1]);
    std::vector<std::uint32_t> answered(1000);
    std::size_t got = 0;
    auto* bytes = reinterpret_cast<char*>(answered.data());
    while (got < answered.size() * 4) {
        ssize_t n = ::read(report[0], bytes + got, answered.size() * 4 - got);
        if (n <= 0) break;  // the child died early; reap it before failing
        got += static_cast<std::size_t>(n);
    }
    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ::close(report[0]);
    ASSERT_EQ(got, answered.size() * 4) << "child exited early, status " << status;
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    auto pool = file_pool(path, "198.18.0.0/16");
    const std::size_t assigned_before_kill = pool->size(Family::v4);
    ASSERT_GE(assigned_before_kill, 1000u);
    std::set<IpAddress> handed_out;
    for (std::size_t i = 0; i < assigned_before_kill; ++i) {
        auto found = pool->find(name(static_cast<int>(i)), Family::v4);
        ASSERT_TRUE(found) << name(static_cast<int>(i));
        if (i < answered.size()) {
            EXPECT_EQ(found->v4(), answered[i]) << name(static_cast<int>(i));
        }
        handed_out.insert(*found);
    }
    for (int i = 0; i < 500; ++i)
        EXPECT_FALSE(handed_out.count(pool->assign("after-" + std::to_string(i), Family::v4)));
}

TEST(FakeIpPool, CompactsWhenTheLogOutgrowsTheLiveMappings) {
    TempDir dir;
    const std::string path = dir.file("fakeip.db");
    auto pool = file_pool(path);  // capacity 5: every new name reclaims one
    for (int i = 0; i < 6000; ++i) pool->assign(name(i), Family::v4);
    // Without compaction the log would hold 6000 records of ~27 bytes. With it, the log is
    // rewritten once it exceeds 2 x 5 + 4096 records, so ~1900 records remain.
    const auto size = std::filesystem::file_size(path);
    EXPECT_LT(size, 2000u * 27);
    EXPECT_GT(size, 1800u * 25);
    auto crashed = file_pool(crash_snapshot(path));
    for (int i = 5995; i < 6000; ++i)
        EXPECT_EQ(crashed->find(name(i), Family::v4), pool->find(name(i), Family::v4));
    EXPECT_EQ(crashed->size(Family::v4), 5u);
}

// A full disk (here: RLIMIT_FSIZE): a new name gets no address (the DNS server answers
// SERVFAIL) rather than one a crash would forget, names already mapped are still
// answered, one error line is logged, no partial record is left behind, and once the
// disk has room again the next name continues where the stored ones end.
TEST(FakeIpPool, ANameThatCannotBeStoredGetsNoAddressAndNothingPartialIsLeft) {
    TempDir dir;
    const std::string path = dir.file("fakeip.db");
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        int code = 0;
        try {
            auto pool = file_pool(path, "198.18.0.0/16");
            ::signal(SIGXFSZ, SIG_IGN);  // get EFBIG from write(2) instead of dying
            const rlimit small{400, RLIM_INFINITY};
            if (::setrlimit(RLIMIT_FSIZE, &small) != 0) ::_exit(10);
            CapturedLog log;
            int answered = 0, refused = 0;
            for (int i = 0; i < 100; ++i) {
                try {
                    if (offset(*pool, pool->assign(name(i), Family::v4)) != 2u + i) code = 11;
                    if (refused > 0) code = 11;  // nothing fits after the first refusal
                    ++answered;
                } catch (const FakeIpStoreUnwritable&) {
                    ++refused;
                }
            }
            if (answered < 5 || refused == 0) code = 14;
            if (offset(*pool, pool->assign(name(0), Family::v4)) != 2u) code = 15;
            if (pool->size(Family::v4) != static_cast<std::size_t>(answered)) code = 15;
            const std::string text = log.text();
            std::size_t errors = 0;
            for (auto at = text.find("[error]"); at != std::string::npos;
                 at = text.find("[error]", at + 1))
                ++errors;
            if (errors != 1 || text.find("File too large") == std::string::npos ||
                text.find("SERVFAIL") == std::string::npos)
                code = 12;
            const rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
            if (::setrlimit(RLIMIT_FSIZE, &unlimited) != 0) ::_exit(10);
            if (offset(*pool, pool->assign("after.example", Family::v4)) != 2u + answered)
                code = 16;
            if (log.text().find("work again") == std::string::npos) code = 12;
        } catch (...) {
            code = 13;
        }
        ::_exit(code);  // like a crash: no destructor, no shutdown compaction
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0)
        << "10: setrlimit, 11: wrong address, 12: log, 13: threw, 14: none refused, "
           "15: mapped names lost, 16: no recovery";

    CapturedLog log;
    auto pool = file_pool(path, "198.18.0.0/16");
    EXPECT_EQ(log.text().find("corrupt"), std::string::npos) << log.text();
    EXPECT_EQ(log.text().find("incomplete"), std::string::npos) << "cut back at once";
    // Every name that got an address kept it across the crash, and no other name has one.
    const std::size_t kept = pool->size(Family::v4) - 1;
    EXPECT_GT(kept, 5u);
    EXPECT_LT(kept, 20u);
    for (std::size_t i = 0; i < kept; ++i)
        EXPECT_EQ(offset(*pool, *pool->find(name(static_cast<int>(i)), Family::v4)), 2u + i);
    EXPECT_FALSE(pool->find(name(static_cast<int>(kept)), Family::v4));
    EXPECT_EQ(offset(*pool, *pool->find("after.example", Family::v4)), 2u + kept);
}

// The store's directory removed while shunt runs (rm -rf /var/lib/shunt): the file shunt
// writes to has no name any more, so everything would be gone at the next start. The
// next new name makes the directory and the file again, with every mapping.
TEST(FakeIpPool, AStoreWhoseDirectoryWasRemovedIsWrittenAnew) {
    TempDir dir;
    const std::string directory = dir.file("state");
    const std::string path = directory + "/fakeip.db";
    auto pool = file_pool(path, "198.18.0.0/16");
    std::vector<IpAddress> given;
    for (int i = 0; i < 10; ++i) given.push_back(pool->assign(name(i), Family::v4));
    std::filesystem::remove_all(directory);

    CapturedLog log;
    given.push_back(pool->assign(name(10), Family::v4));
    EXPECT_NE(log.text().find("was removed while in use"), std::string::npos) << log.text();
    ASSERT_TRUE(std::filesystem::exists(path));
    given.push_back(pool->assign(name(11), Family::v4));

    auto crashed = file_pool(crash_snapshot(path), "198.18.0.0/16");
    ASSERT_EQ(crashed->size(Family::v4), given.size());
    for (int i = 0; i < static_cast<int>(given.size()); ++i)
        EXPECT_EQ(crashed->find(name(i), Family::v4), given[static_cast<std::size_t>(i)]) << i;
}

// Moved away (mv /var/lib/shunt /var/lib/shunt.old): the path no longer leads to the file
// shunt writes, so it is written anew at the path.
TEST(FakeIpPool, AStoreWhoseDirectoryWasRenamedIsWrittenAnewAtItsPath) {
    TempDir dir;
    const std::string directory = dir.file("state");
    const std::string path = directory + "/fakeip.db";
    auto pool = file_pool(path, "198.18.0.0/16");
    const IpAddress first = pool->assign(name(0), Family::v4);
    std::filesystem::rename(directory, dir.file("state.old"));
    const IpAddress second = pool->assign(name(1), Family::v4);
    auto crashed = file_pool(crash_snapshot(path), "198.18.0.0/16");
    EXPECT_EQ(crashed->find(name(0), Family::v4), first);
    EXPECT_EQ(crashed->find(name(1), Family::v4), second);
}

// ...and when the directory cannot be made again (here a file took its name), new
// names get no address until it can, while mapped names are still answered.
TEST(FakeIpPool, AStoreThatCannotBeWrittenAnewRefusesNewNamesOnly) {
    TempDir dir;
    const std::string directory = dir.file("state");
    const std::string path = directory + "/fakeip.db";
    auto pool = file_pool(path, "198.18.0.0/16");
    const IpAddress first = pool->assign(name(0), Family::v4);
    std::filesystem::remove_all(directory);
    test::write_file(directory, "not a directory");

    CapturedLog log;
    EXPECT_THROW(pool->assign(name(1), Family::v4), FakeIpStoreUnwritable);
    EXPECT_THROW(pool->assign(name(2), Family::v4), FakeIpStoreUnwritable);
    EXPECT_EQ(pool->assign(name(0), Family::v4), first);
    EXPECT_EQ(pool->lookup(first), name(0));
    EXPECT_NE(log.text().find("cannot create directory"), std::string::npos) << log.text();
    // One warning for the loss, not one per attempt; no new attempt for a second (each
    // would write the whole pool under the lock lookups need).
    EXPECT_EQ(test::count_occurrences(log.text(), "was removed while in use"), 1u);

    std::filesystem::remove(directory);
    EXPECT_THROW(pool->assign(name(1), Family::v4), FakeIpStoreUnwritable);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    const IpAddress second = pool->assign(name(1), Family::v4);
    EXPECT_EQ(offset(*pool, second), 3u);  // the refused names took no address
    auto crashed = file_pool(crash_snapshot(path), "198.18.0.0/16");
    EXPECT_EQ(crashed->find(name(0), Family::v4), first);
    EXPECT_EQ(crashed->find(name(1), Family::v4), second);
    EXPECT_FALSE(crashed->find(name(2), Family::v4));
}

}  // namespace
}  // namespace shunt::dns
