// The fake-IP store's faults with a real shunt and real queries: the disk full, the file
// and the filesystem made read-only, the directory removed while shunt runs, and a
// kill -9 in the middle of a flood of new names. After every one of them, on restart, no
// name that was answered has changed address and no address stands for two names; while
// the store cannot be written, new names get SERVFAIL and mapped names are still answered.
#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "dns/resolve/message_scan.hpp"
#include "tests/dns/server/server_fixture.hpp"
#include "tests/support/dns_client.hpp"
#include "tests/support/malformed_queries.hpp"
#include "tests/support/tmpfs_mount.hpp"

namespace shunt::test {
namespace {

using namespace std::chrono_literals;

constexpr std::uint16_t kTypeA = 1;
constexpr int kServfail = 2;

struct Reply {
    int rcode = -1;  // -1: no reply
    std::optional<IpAddress> address;
};

Reply ask(int port, const std::string& name) {
    auto reply = udp_exchange(port, make_query(name, kTypeA), 2s);
    if (!reply) return {};
    Reply out{rcode_of(*reply), std::nullopt};
    auto addresses = dns::answer_addresses(*reply);
    if (addresses.size() == 1) out.address = addresses[0];
    return out;
}

std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

class FakeIpStoreFaults : public ServerFixture {
  protected:
    void SetUp() override {
        ServerFixture::SetUp();
        disk.emplace(dir.file("disk"), 1 << 20);
        store_path = dir.file("disk/state/fakeip.db");
    }
    void TearDown() override {
        shunt.reset();
        disk.reset();
    }

    // Asks for every name; records those answered with an address.
    void ask_all(const std::vector<std::string>& names) {
        for (const auto& name : names) {
            Reply reply = ask(port, name);
            ASSERT_TRUE(reply.rcode == 0 && reply.address) << name << " rcode " << reply.rcode;
            answered[name] = *reply.address;
        }
    }

    // After a restart: every answered name has its address, and no two share one.
    void expect_answered_names_kept() {
        std::set<IpAddress> seen;
        for (const auto& [name, address] : answered) {
            Reply again = ask(port, name);
            ASSERT_TRUE(again.address) << name << " rcode " << again.rcode;
            EXPECT_EQ(again.address->to_string(), address.to_string()) << name;
            EXPECT_TRUE(seen.insert(address).second) << address.to_string() << " twice";
        }
    }

    // `shunt run` expected to refuse to start: its exit status and output.
    CommandResult run_expecting_failure() const {
        return run_command(
            {"sh", "-c", std::string(SHUNT_BINARY) + " run -c " + dir.file("shunt.toml") + " 2>&1"},
            20s);
    }

    static std::vector<std::string> names(const std::string& prefix, int count) {
        std::vector<std::string> out;
        for (int i = 0; i < count; ++i) out.push_back(prefix + std::to_string(i) + ".example");
        return out;
    }

    std::optional<TmpfsMount> disk;
    std::map<std::string, IpAddress> answered;
};

TEST_F(FakeIpStoreFaults, ADiskFullRefusesNewNamesUntilThereIsRoomAndLosesNone) {
    disk->resize(16 * 1024);  // the header and ~500 records
    start(base_config());
    std::vector<std::string> refused;
    for (int i = 0; i < 2000 && refused.size() < 20; ++i) {
        const std::string name = "full" + std::to_string(i) + ".example";
        Reply reply = ask(port, name);
        if (reply.rcode == kServfail) {
            refused.push_back(name);
            continue;
        }
        ASSERT_TRUE(reply.address) << name << " rcode " << reply.rcode;
        ASSERT_TRUE(refused.empty()) << name << " answered after a refusal";
        answered[name] = *reply.address;
    }
    ASSERT_EQ(refused.size(), 20u) << "the disk never filled";
    EXPECT_GT(answered.size(), 100u);
    // Mapped names are still answered while new ones are refused.
    expect_answered_names_kept();
    const std::string log = shunt->log();
    EXPECT_EQ(count_of(log, "cannot record a mapping"), 1u) << log;
    EXPECT_NE(log.find("No space left on device"), std::string::npos) << log;

    disk->resize(1 << 20);
    ask_all({refused.front()});
    EXPECT_NE(shunt->log().find("work again"), std::string::npos);

    shunt->kill();  // SIGKILL: no shutdown compaction
    start(base_config());
    expect_answered_names_kept();
}

TEST_F(FakeIpStoreFaults, AKillNineDuringAFloodOfNewNamesLosesNoAnsweredName) {
    start(base_config());
    std::mutex mutex;
    std::atomic<bool> stop = false;
    auto flood = [&](const std::string& prefix) {
        for (int i = 0; !stop; ++i) {
            const std::string name = prefix + std::to_string(i) + ".example";
            Reply reply = ask(port, name);
            if (!reply.address) return;  // shunt is gone
            std::lock_guard lock(mutex);
            answered[name] = *reply.address;
        }
    };
    std::thread first(flood, "a"), second(flood, "b");
    std::this_thread::sleep_for(500ms);
    shunt->kill();
    stop = true;
    first.join();
    second.join();
    ASSERT_GT(answered.size(), 50u);

    start(base_config());
    expect_answered_names_kept();
    // New names continue above every address handed out before the crash.
    std::set<IpAddress> before;
    for (const auto& [name, address] : answered) before.insert(address);
    for (const auto& name : names("after", 20)) {
        Reply reply = ask(port, name);
        ASSERT_TRUE(reply.address) << name;
        EXPECT_FALSE(before.count(*reply.address)) << reply.address->to_string();
    }
}

TEST_F(FakeIpStoreFaults, ADirectoryRemovedAtRuntimeIsMadeAgainWithEveryMapping) {
    start(base_config());
    ask_all(names("before", 50));
    std::filesystem::remove_all(dir.file("disk/state"));
    ask_all(names("after", 50));
    EXPECT_TRUE(std::filesystem::exists(store_path));
    EXPECT_NE(shunt->log().find("was removed while in use"), std::string::npos) << shunt->log();

    shunt->kill();
    start(base_config());
    expect_answered_names_kept();
}

TEST_F(FakeIpStoreFaults, AReadOnlyStoreStopsTheStartWithItsPathAndLosesNothing) {
    start(base_config());
    ask_all(names("before", 50));
    // Immutable: the running shunt still writes through the descriptor it holds (the
    // kernel checks at open), so names keep being answered and stored.
    ASSERT_EQ(run_command({"chattr", "+i", store_path}).exit_code, 0);
    ask_all(names("immutable", 20));
    shunt->kill();

    auto refused = run_expecting_failure();
    EXPECT_NE(refused.exit_code, 0);
    EXPECT_NE(refused.out.find(store_path), std::string::npos) << refused.out;
    EXPECT_NE(refused.out.find("Operation not permitted"), std::string::npos) << refused.out;
    ASSERT_EQ(run_command({"chattr", "-i", store_path}).exit_code, 0);

    disk->make_read_only();  // nothing holds the file open now
    refused = run_expecting_failure();
    EXPECT_NE(refused.exit_code, 0);
    EXPECT_NE(refused.out.find(store_path), std::string::npos) << refused.out;
    EXPECT_NE(refused.out.find("Read-only file system"), std::string::npos) << refused.out;

    disk->resize(1 << 20);  // a remount without MS_RDONLY: writable again
    start(base_config());
    expect_answered_names_kept();
}

}  // namespace
}  // namespace shunt::test
