// OutboundSet as build_outbounds makes it from a config: every proxy and group by name,
// groups wired to their members (declared in any order), GLOBAL over every proxy and
// group, and select() switching a select group (what the REST API will call).
#include <gtest/gtest.h>

#include <algorithm>

#include <boost/asio/io_context.hpp>

#include "config/config_loader.hpp"
#include "outbound/group/probing_group.hpp"
#include "outbound/group/select_group.hpp"
#include "outbound/outbound_builder.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/test_ca.hpp"

namespace shunt::outbound {
namespace {

// A mux proxy both configs below declare.
const std::string kVpsProxy = R"(
[[proxies]]
name = "vps"
type = "mux"
server = "192.0.2.2"
port = 443
password = "p"
fingerprint = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
)";

const std::string kHomeProxy = R"(
[[proxies]]
name = "home"
type = "socks5"
server = "192.0.2.1"
port = 1080
)";

const std::string kProxyGroup = R"(
[[groups]]
name = "proxy"
type = "select"
proxies = ["auto", "home", "DIRECT"]
)";

const std::string kAutoAndBackupGroups = R"(
[[groups]]
name = "auto"
type = "url-test"
proxies = ["vps", "home"]
url = "http://probe.test/generate_204"

[[groups]]
name = "backup"
type = "fallback"
proxies = ["vps", "REJECT"]
)";

const std::string kConfig = kHomeProxy + kVpsProxy + kProxyGroup + kAutoAndBackupGroups;

class OutboundSetTest : public ::testing::Test {
  protected:
    OutboundSetTest() {
        auto loaded = parse_config(kConfig, "test.toml");
        for (const auto& e : loaded.errors) ADD_FAILURE() << e.format();
        config = loaded.config;
        set = build_outbounds(*config, io.get_executor(), nullptr).set;
    }

    boost::asio::io_context io;
    std::shared_ptr<const Config> config;
    std::shared_ptr<OutboundSet> set;
};

TEST_F(OutboundSetTest, EveryNameResolvesToItsType) {
    const std::pair<const char*, OutboundType> expected[] = {
        {"DIRECT", OutboundType::direct},   {"REJECT", OutboundType::reject},
        {"home", OutboundType::socks5},     {"vps", OutboundType::mux},
        {"proxy", OutboundType::select},    {"auto", OutboundType::url_test},
        {"backup", OutboundType::fallback}, {"GLOBAL", OutboundType::select},
    };
    for (const auto& [name, type] : expected) {
        Outbound* outbound = set->find(name);
        ASSERT_NE(outbound, nullptr) << name;
        EXPECT_EQ(outbound->type(), type) << name;
        EXPECT_EQ(outbound->name(), name);
    }
    EXPECT_EQ(set->find("nope"), nullptr);
}

TEST_F(OutboundSetTest, GroupsHoldTheirMembersInOrder) {
    auto& proxy = static_cast<SelectGroup&>(*set->find("proxy"));
    ASSERT_EQ(proxy.members().size(), 3U);
    EXPECT_EQ(proxy.members()[0].get(), set->find("auto")) << "a group declared later";
    EXPECT_EQ(proxy.members()[1].get(), set->find("home"));
    EXPECT_EQ(proxy.members()[2].get(), set->find("DIRECT"));
    auto& backup = static_cast<ProbingGroup&>(*set->find("backup"));
    EXPECT_EQ(backup.members()[1].get(), set->find("REJECT"));
    EXPECT_EQ(&backup.selected(), set->find("vps")) << "the first member before any probe";
}

TEST_F(OutboundSetTest, GlobalHoldsEveryProxyAndGroupThenDirectAndStartsOnTheFirstProxy) {
    auto& global = static_cast<SelectGroup&>(*set->find("GLOBAL"));
    std::vector<std::string> names;
    for (const auto& member : global.members()) names.push_back(member->name());
    EXPECT_EQ(names, (std::vector<std::string>{"home", "vps", "proxy", "auto", "backup", "DIRECT",
                                               "REJECT"}));
    EXPECT_EQ(global.selected().name(), "home");
}

TEST_F(OutboundSetTest, SelectSwitchesGroupsAndOnlyToMembers) {
    EXPECT_EQ(set->select("proxy", "home"), "");
    EXPECT_EQ(static_cast<SelectGroup&>(*set->find("proxy")).selected().name(), "home");
    EXPECT_EQ(set->select("GLOBAL", "DIRECT"), "");
    EXPECT_EQ(set->select("proxy", "vps"), "vps is not a member of proxy");
    EXPECT_EQ(set->select("home", "DIRECT"), "home is a socks5 outbound, not a group");
    EXPECT_EQ(set->select("nope", "DIRECT"), "no group named nope");
    EXPECT_FALSE(set->unpin("proxy")) << "a select group has nothing to unpin";
}

TEST_F(OutboundSetTest, ProbingGroupsArePinnedUntilUnpinned) {
    auto& backup = static_cast<ProbingGroup&>(*set->find("backup"));
    EXPECT_EQ(backup.pinned(), nullptr);
    EXPECT_EQ(set->select("backup", "nope"), "nope is not a member of backup");
    ASSERT_EQ(set->select("backup", "REJECT"), "");
    EXPECT_EQ(&backup.selected(), set->find("REJECT"));
    EXPECT_EQ(backup.pinned(), set->find("REJECT"));
    const auto choices = set->selections();
    EXPECT_NE(std::find(choices.begin(), choices.end(),
                        std::pair<std::string, std::string>{"backup", "REJECT"}),
              choices.end())
        << "a pin is a choice that survives reloads and restarts";
    EXPECT_TRUE(set->unpin("backup"));
    EXPECT_EQ(backup.pinned(), nullptr);
    EXPECT_EQ(&backup.selected(), set->find("vps")) << "no probe has answered: the first member";
}

TEST_F(OutboundSetTest, ChoicesCarryOverToARebuiltSetWhereTheyStillExist) {
    ASSERT_EQ(set->select("proxy", "DIRECT"), "");
    ASSERT_EQ(set->select("GLOBAL", "vps"), "");
    const auto choices = set->selections();
    // The reloaded file no longer lists DIRECT in `proxy`: that choice cannot carry over.
    auto loaded = parse_config(kVpsProxy + R"(
[[groups]]
name = "proxy"
type = "select"
proxies = ["vps"]
)",
                               "reloaded.toml");
    ASSERT_TRUE(loaded.errors.empty());
    auto rebuilt = build_outbounds(*loaded.config, io.get_executor(), nullptr).set;
    EXPECT_EQ(rebuilt->carry_over(choices), 1U) << "GLOBAL -> vps only";
    EXPECT_EQ(static_cast<SelectGroup&>(*rebuilt->find("GLOBAL")).selected().name(), "vps");
    EXPECT_EQ(static_cast<SelectGroup&>(*rebuilt->find("proxy")).selected().name(), "vps");
}

TEST_F(OutboundSetTest, AReloadKeepsWhatItLeavesUnchangedAndRebuildsTheRest) {
    // The same file, reordered: everything is taken over, GLOBAL aside (always new).
    const std::string reordered = kVpsProxy + kHomeProxy + kAutoAndBackupGroups + kProxyGroup;
    auto same = parse_config(reordered, "same.toml");
    ASSERT_TRUE(same.errors.empty());
    const RunningOutbounds running{*config, *set};
    auto kept = build_outbounds(*same.config, io.get_executor(), nullptr, &running);
    EXPECT_EQ(kept.kept, 5U);
    EXPECT_EQ(kept.rebuilt, 0U);
    for (const char* name : {"DIRECT", "REJECT", "home", "vps", "auto", "backup", "proxy"})
        EXPECT_EQ(kept.set->find(name), set->find(name)) << name << " was rebuilt";
    EXPECT_NE(kept.set->find("GLOBAL"), set->find("GLOBAL"));

    // home's port changes: home and every group holding it (auto, then proxy through auto)
    // are rebuilt; vps and backup, which do not hold it, are kept.
    std::string changed = reordered;
    changed.replace(changed.find("port = 1080"), 11, "port = 1081");
    auto other = parse_config(changed, "changed.toml");
    ASSERT_TRUE(other.errors.empty());
    auto rebuilt = build_outbounds(*other.config, io.get_executor(), nullptr, &running);
    EXPECT_EQ(rebuilt.kept, 2U);
    EXPECT_EQ(rebuilt.rebuilt, 3U);
    EXPECT_EQ(rebuilt.set->find("vps"), set->find("vps"));
    EXPECT_EQ(rebuilt.set->find("backup"), set->find("backup"));
    for (const char* name : {"home", "auto", "proxy"})
        EXPECT_NE(rebuilt.set->find(name), set->find(name)) << name << " was kept";

    // [tun] settings every outbound is made with: nothing is kept.
    auto marked = parse_config(reordered + "[tun]\nrouting_mark = 7\n", "marked.toml");
    ASSERT_TRUE(marked.errors.empty()) << marked.errors.front().format();
    auto remade = build_outbounds(*marked.config, io.get_executor(), nullptr, &running);
    EXPECT_EQ(remade.kept, 0U);
    EXPECT_NE(remade.set->find("DIRECT"), set->find("DIRECT"));
}

TEST(OutboundSetReload, AChangedCaFileIsAChangedProxy) {
    boost::asio::io_context io;
    shunt::test::TempDir dir;
    const shunt::test::TestCa first_ca, second_ca;
    auto pem = [](const shunt::test::TestCa& ca) { return shunt::test::read_file(ca.ca_file()); };
    dir.write("ca.pem", pem(first_ca));
    // kVpsProxy, verified by a CA file instead of a fingerprint.
    std::string text = kVpsProxy;
    const auto pin = text.find("fingerprint = ");
    text.replace(pin, text.find('\n', pin) - pin, "ca = \"" + dir.file("ca.pem") + "\"");
    auto first = parse_config(text, dir.file("a.toml"));
    ASSERT_TRUE(first.errors.empty());
    auto running_set = build_outbounds(*first.config, io.get_executor(), nullptr).set;
    const RunningOutbounds running{*first.config, *running_set};
    auto unchanged = parse_config(text, dir.file("b.toml"));
    EXPECT_EQ(build_outbounds(*unchanged.config, io.get_executor(), nullptr, &running).kept, 1U);
    dir.write("ca.pem", pem(second_ca));  // same path, another CA
    auto changed = parse_config(text, dir.file("c.toml"));
    EXPECT_EQ(build_outbounds(*changed.config, io.get_executor(), nullptr, &running).kept, 0U);
}

TEST(OutboundSetWithoutProxies, GlobalIsDirect) {
    boost::asio::io_context io;
    auto loaded = parse_config("", "empty.toml");
    auto set = build_outbounds(*loaded.config, io.get_executor(), nullptr).set;
    auto& global = static_cast<SelectGroup&>(*set->find("GLOBAL"));
    EXPECT_EQ(global.selected().name(), "DIRECT");
}

}  // namespace
}  // namespace shunt::outbound
