// ResolvConfFile on files of the test's own: each kind of original (a file, a symlink,
// none) comes back exactly, a crash's leftover is found by its marker, and a file another
// program wrote meanwhile is not overwritten with the stale original.
#include "netstack/system_dns/resolv_conf_file.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/child_process.hpp"

namespace shunt::netstack {
namespace {

using test::read_file;

class ResolvConfFileTest : public ::testing::Test {
  protected:
    std::string path() const { return dir_.file("resolv.conf"); }
    std::string backup() const { return dir_.file("state/resolv.conf.orig"); }
    IpAddress server() const { return *IpAddress::parse("127.0.0.1"); }

    test::TempDir dir_;
};

TEST_F(ResolvConfFileTest, ARegularFileComesBackByteForByte) {
    const std::string original = "nameserver 192.0.2.1\nsearch a.test b.test\noptions edns0\n";
    dir_.write("resolv.conf", original);
    {
        ResolvConfFile file(path(), backup());
        file.apply(server());
        const std::string ours = read_file(path());
        EXPECT_NE(ours.find("# shunt-original: " + backup()), std::string::npos) << ours;
        EXPECT_NE(ours.find("nameserver 127.0.0.1\nsearch a.test b.test\noptions edns0\n"),
                  std::string::npos)
            << ours;
        EXPECT_EQ(read_file(backup()), original);
    }  // the destructor restores
    EXPECT_EQ(read_file(path()), original);
    EXPECT_FALSE(std::filesystem::exists(backup()));
}

TEST_F(ResolvConfFileTest, ASymlinkComesBackAsTheSameSymlink) {
    dir_.write("managed.conf", "nameserver 192.0.2.2\n");
    ASSERT_EQ(::symlink(dir_.file("managed.conf").c_str(), path().c_str()), 0);
    ResolvConfFile file(path(), backup());
    file.apply(server());
    // The link was replaced, its target (another program's file) left alone.
    EXPECT_FALSE(std::filesystem::is_symlink(path()));
    EXPECT_EQ(read_file(dir_.file("managed.conf")), "nameserver 192.0.2.2\n");
    file.restore();
    ASSERT_TRUE(std::filesystem::is_symlink(path()));
    EXPECT_EQ(std::filesystem::read_symlink(path()), dir_.file("managed.conf"));
}

TEST_F(ResolvConfFileTest, NoOriginalMeansNoneAfterwards) {
    ResolvConfFile file(path(), backup());
    file.apply(server());
    EXPECT_NE(read_file(path()).find("# shunt-original: none"), std::string::npos);
    file.restore();
    EXPECT_FALSE(std::filesystem::exists(path()));
}

TEST_F(ResolvConfFileTest, ALeftoverIsRestoredByItsMarkerAlone) {
    dir_.write("resolv.conf", "nameserver 192.0.2.3\n");
    {
        ResolvConfFile crashed(path(), backup());
        crashed.apply(server());
        // A crash: nothing restores. (Moving the object out of scope would; skip it.)
        std::filesystem::copy_file(path(), dir_.file("ours"));
        std::filesystem::copy_file(backup(), dir_.file("saved"));
    }
    std::filesystem::copy_file(dir_.file("ours"), path(),
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(dir_.file("saved"), backup());

    EXPECT_FALSE(ResolvConfFile::restore_leftover(dir_.file("saved")));  // not marked
    const auto leftover = ResolvConfFile::restore_leftover(path());
    ASSERT_TRUE(leftover);
    EXPECT_TRUE(leftover->restored) << leftover->message;
    EXPECT_EQ(read_file(path()), "nameserver 192.0.2.3\n");
    EXPECT_FALSE(ResolvConfFile::restore_leftover(path()));

    // apply() does the same before saving the original, so a second crash cannot make
    // shunt's own file the "original".
    std::filesystem::copy_file(dir_.file("ours"), path(),
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(dir_.file("saved"), backup());
    ResolvConfFile next(path(), backup());
    next.apply(server());
    next.restore();
    EXPECT_EQ(read_file(path()), "nameserver 192.0.2.3\n");
}

TEST_F(ResolvConfFileTest, ALeftoverWhoseCopyIsGoneIsReportedNotGuessed) {
    dir_.write("resolv.conf",
               "# x\n# y\n# shunt-original: " + dir_.file("gone") + "\nnameserver 127.0.0.1\n");
    const auto leftover = ResolvConfFile::restore_leftover(path());
    ASSERT_TRUE(leftover);
    EXPECT_FALSE(leftover->restored);
    EXPECT_NE(leftover->message.find("is gone"), std::string::npos) << leftover->message;
    EXPECT_NE(read_file(path()).find("nameserver 127.0.0.1"), std::string::npos);
}

TEST_F(ResolvConfFileTest, AFileAnotherProgramWroteMeanwhileIsKept) {
    dir_.write("resolv.conf", "nameserver 192.0.2.4\n");
    ResolvConfFile file(path(), backup());
    file.apply(server());
    dir_.write("resolv.conf", "nameserver 192.0.2.5\n");  // NetworkManager, say
    file.restore();
    EXPECT_EQ(read_file(path()), "nameserver 192.0.2.5\n");
    EXPECT_FALSE(std::filesystem::exists(backup()));
}

TEST_F(ResolvConfFileTest, AnUnwritableBackupDirectoryChangesNothing) {
    dir_.write("resolv.conf", "nameserver 192.0.2.6\n");
    dir_.write("state", "a file where the directory should be");
    ResolvConfFile file(path(), backup());
    EXPECT_THROW(file.apply(server()), std::runtime_error);
    EXPECT_FALSE(file.applied());
    EXPECT_EQ(read_file(path()), "nameserver 192.0.2.6\n");
}

}  // namespace
}  // namespace shunt::netstack
