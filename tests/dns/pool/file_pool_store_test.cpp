// FilePoolStore on its own: persistence, crash artefacts, corruption, open errors and
// locking. The pool's behaviour on top of it is in fake_ip_pool_*_test.cpp.
#include "dns/pool/file_pool_store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "dns/pool/crc32.hpp"
#include "tests/dns/pool/pool_test_util.hpp"
#include "tests/support/child_process.hpp"

namespace shunt::dns {
namespace {

using test::address;
using test::CapturedLog;
using test::read_file;
using test::TempDir;
using test::write_file;

struct OwnedRecord {
    IpAddress address;
    std::string name;
    friend bool operator==(const OwnedRecord&, const OwnedRecord&) = default;
};

std::vector<OwnedRecord> load_all(PoolStore& store) {
    std::vector<OwnedRecord> records;
    store.load([&](const PoolRecord& r) { records.push_back({r.address, std::string(r.name)}); });
    return records;
}

IpAddress nth_v4(std::uint32_t n) {
    return IpAddress::from_v4(0xC6120000u + 2 + n);
}

std::vector<std::string> files_starting_with(const std::string& dir, const std::string& prefix) {
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        std::string name = entry.path().filename().string();
        if (name.rfind(prefix, 0) == 0) found.push_back(entry.path().string());
    }
    return found;
}

TEST(FilePoolStore, RecordsSurviveReopenInWriteOrder) {
    TempDir dir;
    const std::string path = dir.file("sub/dir/fakeip.db");  // parents get created
    {
        FilePoolStore store(path);
        EXPECT_EQ(store.describe(), "file " + path);
        EXPECT_TRUE(load_all(store).empty());
        store.record_assign(address("198.18.0.2"), "a.example");
        store.record_assign(address("fc00::2"), "b.example");
        store.record_release(address("198.18.0.2"));
        store.record_assign(address("198.18.0.2"), "c.example");
    }
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << "the mapping is a browsing history";
    FilePoolStore store(path);
    std::vector<OwnedRecord> expected = {{address("198.18.0.2"), "a.example"},
                                         {address("fc00::2"), "b.example"},
                                         {address("198.18.0.2"), ""},
                                         {address("198.18.0.2"), "c.example"}};
    EXPECT_EQ(load_all(store), expected);
    store.flush();
}

// The process dies (SIGKILL) the instant after record_assign returns: nothing is lost,
// because the record is in the kernel's page cache, not in a user-space buffer.
TEST(FilePoolStore, KillNineRightAfterAssignLosesNothing) {
    TempDir dir;
    const std::string path = dir.file("fakeip.db");
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        try {
            FilePoolStore store(path);
            for (std::uint32_t i = 0; i < 1000; ++i)
                store.record_assign(nth_v4(i), "name-" + std::to_string(i) + ".example");
        } catch (...) {
            ::_exit(3);
        }
        ::raise(SIGKILL);
        ::_exit(4);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;

    FilePoolStore store(path);
    auto records = load_all(store);
    ASSERT_EQ(records.size(), 1000u);
    for (std::uint32_t i = 0; i < 1000; ++i)
        EXPECT_EQ(records[i], (OwnedRecord{nth_v4(i), "name-" + std::to_string(i) + ".example"}));
}

TEST(FilePoolStore, TornTailIsTruncatedWithAnInfoLine) {
    TempDir dir;
    const std::string path = dir.file("fakeip.db");
    {
        FilePoolStore store(path);
        store.record_assign(address("198.18.0.2"), "kept.example");
    }
    const std::string intact = read_file(path);
    // The first 9 bytes of another record, then (second case) a zero run as a power cut
    // leaves it.
    for (const std::string& tail :
         {std::string("\xA1\x04\x0c\xc6\x12\x00\x03tor", 10), std::string(64, '\0')}) {
        write_file(path, intact + tail);
        CapturedLog log;
        FilePoolStore store(path);
        EXPECT_EQ(load_all(store),
                  (std::vector<OwnedRecord>{{address("198.18.0.2"), "kept.example"}}));
        EXPECT_EQ(store.file_size(), intact.size());
        EXPECT_NE(log.text().find("[info]"), std::string::npos) << log.text();
        EXPECT_NE(log.text().find("incomplete last record"), std::string::npos) << log.text();
        EXPECT_EQ(read_file(path), intact);
        EXPECT_TRUE(files_starting_with(dir.path(), "fakeip.db.corrupt").empty());
        // Appends go after the cut, so the next open sees a clean file.
        store.record_assign(address("198.18.0.3"), "after.example");
    }
    FilePoolStore store(path);
    EXPECT_EQ(load_all(store).size(), 2u);
}

TEST(FilePoolStore, TornHeaderStartsAfresh) {
    TempDir dir;
    const std::string path = dir.file("fakeip.db");
    write_file(path, "SHUNTF");
    FilePoolStore store(path);
    EXPECT_TRUE(load_all(store).empty());
    EXPECT_EQ(store.file_size(), 16u);
}

void expect_moved_aside(const std::string& damaged_content, const std::string& what) {
    TempDir dir;
    const std::string path = dir.file("fakeip.db");
    write_file(path, damaged_content);
    CapturedLog log;
    FilePoolStore store(path);
    EXPECT_TRUE(load_all(store).empty()) << what;
    auto aside = files_starting_with(dir.path(), "fakeip.db.corrupt-");
    ASSERT_EQ(aside.size(), 1u) << what;
    EXPECT_EQ(read_file(aside[0]), damaged_content) << "kept as found, for inspection";
    const std::string text = log.text();
    EXPECT_NE(text.find("[error]"), std::string::npos) << text;
    EXPECT_NE(text.find(path + " is corrupt"), std::string::npos) << text;
    EXPECT_NE(text.find(aside[0]), std::string::npos) << text;
    // The fresh store works and persists.
    store.record_assign(address("198.18.0.9"), "fresh.example");
    store.flush();
}

TEST(FilePoolStore, FlippedByteInTheMiddleMovesTheFileAside) {
    TempDir dir;
    const std::string path = dir.file("fakeip.db");
    {
        FilePoolStore store(path);
        for (std::uint32_t i = 0; i < 100; ++i)
            store.record_assign(nth_v4(i), "name-" + std::to_string(i) + ".example");
    }
    std::string content = read_file(path);
    for (std::size_t where : {content.size() / 2, std::size_t{20}, content.size() - 300}) {
        std::string damaged = content;
        damaged[where] ^= 0x04;
        expect_moved_aside(damaged, "flip at " + std::to_string(where));
    }
    std::string bad_magic = content;
    bad_magic[0] = 'X';
    expect_moved_aside(bad_magic, "bad magic");
    expect_moved_aside("this is not a fake-IP store at all", "foreign file");
}

TEST(FilePoolStore, NewerFormatVersionIsAStartupError) {
    TempDir dir;
    const std::string path = dir.file("fakeip.db");
    { FilePoolStore store(path); }
    std::string content = read_file(path);
    content[8] = 9;  // version 9, with a header CRC that matches it
    auto crc = crc32(std::span(reinterpret_cast<const std::uint8_t*>(content.data()), 12));
    for (int i = 0; i < 4; ++i) content[12 + i] = static_cast<char>(crc >> (8 * i));
    write_file(path, content);
    try {
        FilePoolStore store(path);
        FAIL() << "opened a store of a newer format";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("newer version"), std::string::npos) << e.what();
    }
    EXPECT_EQ(read_file(path), content) << "left untouched";
}

void expect_open_error(const std::string& path, const std::string& expected_cause) {
    try {
        FilePoolStore store(path);
        FAIL() << "opened " << path;
    } catch (const std::runtime_error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find(path), std::string::npos) << message;
        EXPECT_NE(message.find(expected_cause), std::string::npos) << message;
    }
}

TEST(FilePoolStore, UnopenablePathsThrowWithPathAndCause) {
    TempDir dir;
    std::filesystem::create_directory(dir.file("a-directory"));
    expect_open_error(dir.file("a-directory"), "Is a directory");
    write_file(dir.file("a-file"), "x");
    expect_open_error(dir.file("a-file/fakeip.db"), "cannot create directory");
    expect_open_error(dir.file("a-file/deeper/fakeip.db"), "cannot create directory");
}

// Root ignores file permissions, so the check runs in a child that drops to nobody.
TEST(FilePoolStore, MissingPermissionThrows) {
    TempDir dir;
    const std::string locked_dir = dir.file("locked");
    std::filesystem::create_directory(locked_dir);
    // nobody may reach the directory but not write in it.
    ::chmod(dir.path().c_str(), 0755);
    ::chmod(locked_dir.c_str(), 0555);
    const std::string path = locked_dir + "/fakeip.db";
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(2);
        try {
            FilePoolStore store(path);
        } catch (const std::runtime_error& e) {
            const std::string message = e.what();
            bool ok = message.find(path) != std::string::npos &&
                      message.find("cannot open or create") != std::string::npos &&
                      message.find("Permission denied") != std::string::npos;
            ::_exit(ok ? 0 : 1);
        }
        ::_exit(3);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "1: wrong message, 2: cannot drop privileges, 3: opened";
}

TEST(FilePoolStore, SecondOpenerIsToldTheStoreIsInUse) {
    TempDir dir;
    const std::string path = dir.file("fakeip.db");
    FilePoolStore first(path);
    first.record_assign(address("198.18.0.2"), "a.example");
    const std::string in_use = "is in use by another process (pid " + std::to_string(::getpid());
    expect_open_error(path, in_use);
    // A compaction replaces the file; the lock must move with it.
    first.compact(std::vector<PoolRecord>{{address("198.18.0.2"), "a.example"}});
    expect_open_error(path, in_use);
    EXPECT_TRUE(files_starting_with(dir.path(), "fakeip.db.compact").empty());
}

TEST(FilePoolStore, CompactionRewritesToExactlyTheLiveRecords) {
    TempDir dir;
    const std::string path = dir.file("fakeip.db");
    std::vector<OwnedRecord> live = {{address("198.18.0.5"), "x.example"},
                                     {address("fc00::7"), "y.example"},
                                     {address("198.18.0.3"), ""}};
    {
        FilePoolStore store(path);
        for (std::uint32_t i = 0; i < 5000; ++i)
            store.record_assign(nth_v4(i % 50), "churn-" + std::to_string(i) + ".example");
        const auto before = store.file_size();
        std::vector<PoolRecord> views;
        for (const auto& r : live) views.push_back({r.address, r.name});
        store.compact(views);
        EXPECT_LT(store.file_size(), before / 100);
        EXPECT_EQ(store.file_size(), std::filesystem::file_size(path));
        store.record_assign(address("198.18.0.6"),
                            "appended.example");  // appends go to the new file
    }
    live.push_back({address("198.18.0.6"), "appended.example"});
    FilePoolStore store(path);
    EXPECT_EQ(load_all(store), live);
}

}  // namespace
}  // namespace shunt::dns
