// Files a config names are read only when they are regular files of bounded size: a FIFO
// (which would block the opener until a writer came), a character device such as
// /dev/zero (which never ends), a directory or an oversized file is refused at once with a
// reason, and nothing is read from it.
#include "base/regular_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <future>

#include <gtest/gtest.h>

#include "tests/support/child_process.hpp"

namespace shunt {
namespace {

using namespace std::chrono_literals;

// Runs `f` on another thread; fails the test instead of hanging it when it blocks.
template <typename F>
auto within_two_seconds(F f) {
    auto done = std::async(std::launch::async, std::move(f));
    if (done.wait_for(2s) != std::future_status::ready) {
        ADD_FAILURE() << "blocked";
        std::abort();  // the thread cannot be joined: nothing sensible is left to do
    }
    return done.get();
}

TEST(RegularFile, ReadsARegularFileWhole) {
    test::TempDir dir;
    const std::string content(200'000, 'x');
    dir.write("a.txt", content);
    std::string error;
    auto read = read_regular_file(dir.file("a.txt"), 1 << 20, &error);
    ASSERT_TRUE(read) << error;
    EXPECT_EQ(*read, content);
    EXPECT_EQ(why_not_readable_file(dir.file("a.txt"), 1 << 20), "");
    dir.write("empty.txt", "");
    EXPECT_EQ(read_regular_file(dir.file("empty.txt"), 1), "");
}

TEST(RegularFile, RefusesAFifoWithoutBlocking) {
    test::TempDir dir;
    ASSERT_EQ(::mkfifo(dir.file("fifo").c_str(), 0600), 0);
    std::string error;
    const auto read =
        within_two_seconds([&] { return read_regular_file(dir.file("fifo"), 1 << 20, &error); });
    EXPECT_FALSE(read);
    EXPECT_EQ(error, "not a regular file (a fifo)");
    EXPECT_EQ(within_two_seconds([&] { return why_not_readable_file(dir.file("fifo"), 1 << 20); }),
              "not a regular file (a fifo)");
}

TEST(RegularFile, RefusesDevicesDirectoriesAndMissingFiles) {
    test::TempDir dir;
    std::string error;
    EXPECT_FALSE(
        within_two_seconds([&] { return read_regular_file("/dev/zero", 1 << 20, &error); }));
    EXPECT_EQ(error, "not a regular file (a character device)");
    EXPECT_EQ(why_not_readable_file(dir.path(), 1 << 20), "it is a directory");
    EXPECT_EQ(why_not_readable_file(dir.file("missing"), 1 << 20), "No such file or directory");
}

TEST(RegularFile, RefusesAFileAboveTheLimitBeforeReadingIt) {
    test::TempDir dir;
    // Sparse: 64 GiB that cost no disk, and would take minutes to read.
    const int fd = ::open(dir.file("huge").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, off_t{64} << 30), 0);
    ::close(fd);
    std::string error;
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(read_regular_file(dir.file("huge"), kMaxConfiguredFileBytes, &error));
    EXPECT_EQ(error, "larger than 256 MiB");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
    dir.write("small", "12345");
    EXPECT_FALSE(read_regular_file(dir.file("small"), 4, &error));
    EXPECT_EQ(error, "larger than 4 bytes");
}

}  // namespace
}  // namespace shunt
