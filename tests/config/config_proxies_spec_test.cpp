// [[proxies]] as proxy_section_spec (every entry) and socks5_proxy_spec / mux_proxy_spec
// (each type's own keys) declare it: examples/full.toml shows every key in an entry of its
// type, with its default where it has one, and writes no undeclared key; a key of the
// other type is named as such; every integer key's range is enforced.
#include <gtest/gtest.h>

#include "config/config_loader.hpp"
#include "config/config_proxies_reader.hpp"
#include "tests/support/config_errors.hpp"
#include "tests/support/section_spec_check.hpp"

namespace shunt {
namespace {

using test::error_lines;
using test::has_error;

const std::string kFull = std::string(SHUNT_SOURCE_DIR) + "/examples/full.toml";
constexpr const char* kDns = "[dns]\nupstreams = [\"udp://127.0.0.1:5353\"]\n";

// A proxy entry of `type` (with what that type requires), then `more`.
std::string proxy(const std::string& type, const std::string& more, bool with_port = true) {
    return "[[proxies]]\nname = \"p\"\ntype = \"" + type + "\"\nserver = \"10.0.0.1\"\n" +
           (with_port ? "port = 1080\n" : "") + (type == "mux" ? "password = \"x\"\n" : "") + more +
           kDns;
}

class ProxySectionSpec : public ::testing::Test {
  protected:
    void SetUp() override {
        full_ = load_config(kFull);
        ASSERT_TRUE(full_.config) << ::testing::PrintToString(error_lines(full_));
        texts_ = test::entry_texts(kFull, "[[proxies]]");
        ASSERT_EQ(texts_.size(), full_.config->proxies.size());
    }

    // The entries of `type` (all of them without one), as `part` of each loaded entry.
    template <class Section>
    std::vector<test::ShownEntry<Section>> entries(std::optional<ProxyType> type,
                                                   Section (*part)(const ProxyConfig&)) const {
        std::vector<test::ShownEntry<Section>> out;
        for (std::size_t i = 0; i < texts_.size(); ++i)
            if (!type || full_.config->proxies[i].type == *type)
                out.push_back({texts_[i], part(full_.config->proxies[i])});
        return out;
    }

    ConfigLoadResult full_;
    std::vector<std::string> texts_;
};

TEST_F(ProxySectionSpec, FullTomlShowsEveryKeyInAnEntryOfItsType) {
    test::expect_entries_show_every_key(
        proxy_section_spec(),
        entries<ProxyConfig>(std::nullopt, [](const ProxyConfig& p) { return p; }), "[[proxies]]",
        ProxyConfig{});
    test::expect_entries_show_every_key(
        socks5_proxy_spec(),
        entries<Socks5ProxyOptions>(ProxyType::socks5,
                                    [](const ProxyConfig& p) { return p.socks5; }),
        "[[proxies]] type = \"socks5\"", Socks5ProxyOptions{});
    test::expect_entries_show_every_key(
        mux_proxy_spec(),
        entries<MuxProxyOptions>(ProxyType::mux, [](const ProxyConfig& p) { return p.mux; }),
        "[[proxies]] type = \"mux\"", MuxProxyOptions{});
}

TEST_F(ProxySectionSpec, FullTomlWritesOnlyDeclaredKeys) {
    for (std::size_t i = 0; i < texts_.size(); ++i) {
        std::set<std::string> declared;
        test::add_names(declared, proxy_section_spec());
        if (full_.config->proxies[i].type == ProxyType::socks5)
            test::add_names(declared, socks5_proxy_spec());
        else
            test::add_names(declared, mux_proxy_spec());
        test::expect_written_keys_declared(texts_[i], true, declared,
                                           "[[proxies]] " + full_.config->proxies[i].name);
    }
}

// Each key `other` declares and `own` does not, written in an entry of `type`: the error
// names the type it belongs to. Returns how many keys were tried.
template <class Own, class Other>
int expect_named_as_other_type(const SectionSpec<Own>& own, const SectionSpec<Other>& other,
                               const std::string& type, const std::string& other_type) {
    int checked = 0;
    for (const auto& key : other.keys) {
        if (own.find(key.name)) continue;
        const std::string name(key.name);
        const auto r = parse_config(proxy(type, name + " = 1\n"), "c.toml");
        EXPECT_TRUE(
            has_error(r, "proxies[0]." + name + ": only for type = \"" + other_type + "\" proxies"))
            << ::testing::PrintToString(error_lines(r));
        ++checked;
    }
    return checked;
}

TEST(ProxySectionSpecs, AKeyOfTheOtherTypeIsNamedAsSuch) {
    // ca, fingerprint, sni, carriers, keepalive_interval_s, keepalive_timeout_s
    EXPECT_EQ(expect_named_as_other_type(socks5_proxy_spec(), mux_proxy_spec(), "socks5", "mux"),
              6);
    EXPECT_EQ(expect_named_as_other_type(mux_proxy_spec(), socks5_proxy_spec(), "mux", "socks5"),
              1);  // username
}

TEST(ProxySectionSpecs, RangesAreEnforced) {
    test::expect_ranges_enforced(
        proxy_section_spec(), "proxies[0].", [](const std::string& key, std::int64_t value) {
            return proxy("socks5", key + " = " + std::to_string(value) + "\n", key != "port");
        });
    test::expect_ranges_enforced(
        mux_proxy_spec(), "proxies[0].", [](const std::string& key, std::int64_t value) {
            return proxy("mux", key + " = " + std::to_string(value) + "\n");
        });
}

TEST(ProxySectionSpecs, EveryKeyHasADocLineAndShowsItsValue) {
    test::expect_every_key_documented(proxy_section_spec(), ProxyConfig{});
    test::expect_every_key_documented(socks5_proxy_spec(), Socks5ProxyOptions{});
    test::expect_every_key_documented(mux_proxy_spec(), MuxProxyOptions{});
}

}  // namespace
}  // namespace shunt
