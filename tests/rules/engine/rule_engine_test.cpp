// RuleEngine: modes, reload, and decisions made while both change on other threads.
#include "rules/engine/rule_engine.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "rules/parse/rule_list.hpp"
#include "rules/parse/rule_parser.hpp"

namespace shunt::rules {
namespace {

std::shared_ptr<const CompiledRules> compile_lines(const std::vector<std::string>& lines) {
    std::vector<RuleSpec> specs;
    for (const auto& line : lines) {
        auto parsed = parse_rule(line);
        EXPECT_TRUE(parsed.ok()) << line;
        if (parsed.ok()) specs.push_back(*parsed.rule);
    }
    return std::make_shared<const CompiledRules>(CompiledRules::compile(specs));
}

ConnectionMetadata connection_to(std::string_view domain) {
    ConnectionMetadata m;
    m.network = Network::tcp;
    m.domain = domain;
    m.destination_port = 443;
    return m;
}

TEST(RuleEngine, ModesOverrideTheRules) {
    RuleEngine engine(compile_lines({"DOMAIN-SUFFIX,example.com,proxy", "MATCH,DIRECT"}));
    auto m = connection_to("www.example.com");
    auto v = engine.decide(m);
    EXPECT_EQ(v.decision.target, "proxy");
    EXPECT_EQ(v.decision.rule_index, 0u);
    EXPECT_EQ(v.mode, Mode::rule);
    engine.set_mode(Mode::global);
    EXPECT_EQ(engine.decide(m).decision.target, "GLOBAL");
    EXPECT_EQ(engine.decide(m).decision.rule_index, Decision::npos);
    engine.set_mode(Mode::direct);
    EXPECT_EQ(engine.decide(m).decision.target, "DIRECT");
    engine.set_mode(Mode::rule);
    EXPECT_EQ(engine.decide(m).decision.target, "proxy");
}

TEST(RuleEngine, ReplaceKeepsVerdictsAlreadyGiven) {
    RuleEngine engine(compile_lines({"DOMAIN,a.example,old-target", "MATCH,DIRECT"}));
    auto m = connection_to("a.example");
    auto before = engine.decide(m);
    engine.replace(compile_lines({"DOMAIN,a.example,new-target", "MATCH,DIRECT"}));
    // The old verdict still refers to the old list, which it keeps alive.
    EXPECT_EQ(before.decision.target, "old-target");
    EXPECT_EQ(engine.decide(m).decision.target, "new-target");
    EXPECT_THROW(engine.replace(nullptr), std::invalid_argument);
}

// Two rule lists that answer every test name differently; readers on two threads
// check that each verdict is wholly from one list (target and index agree) while a
// writer swaps lists and flips modes as fast as it can.
TEST(RuleEngine, NoTornReadsUnderConcurrentReloadAndModeSwitch) {
    auto list_a =
        compile_lines({"DOMAIN-SUFFIX,one.example,A1", "DOMAIN-KEYWORD,two,A2", "MATCH,A3"});
    auto list_b = compile_lines({"DOMAIN,x.one.example,B0", "DOMAIN-SUFFIX,one.example,B1",
                                 "DOMAIN-KEYWORD,two,B2", "MATCH,B3"});
    RuleEngine engine(list_a);
    std::atomic<bool> stop{false};
    std::atomic<long> checked{0}, torn{0};
    auto reader = [&] {
        const char* names[] = {"x.one.example", "two.example", "other.example"};
        long n = 0;
        while (!stop.load(std::memory_order_relaxed)) {
            for (auto name : names) {
                auto v = engine.decide(connection_to(name));
                auto t = v.decision.target;
                bool ok = false;
                if (v.mode == Mode::global) {
                    ok = t == "GLOBAL";
                } else if (v.mode == Mode::direct) {
                    ok = t == "DIRECT";
                } else if (v.rules == list_a) {
                    std::string_view want = name[0] == 'x' ? "A1" : name[0] == 't' ? "A2" : "A3";
                    ok = t == want &&
                         v.decision.rule_index == static_cast<std::size_t>(want[1] - '1');
                } else if (v.rules == list_b) {
                    std::string_view want = name[0] == 'x' ? "B0" : name[0] == 't' ? "B2" : "B3";
                    ok = t == want &&
                         v.decision.rule_index == static_cast<std::size_t>(want[1] - '0');
                }
                if (!ok) torn.fetch_add(1);
                ++n;
            }
        }
        checked.fetch_add(n);
    };
    std::thread r1(reader), r2(reader);
    for (int i = 0; i < 20000; ++i) {
        engine.replace(i % 2 ? list_a : list_b);
        if (i % 7 == 0) engine.set_mode(static_cast<Mode>(i % 3));
    }
    engine.set_mode(Mode::rule);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    stop = true;
    r1.join();
    r2.join();
    EXPECT_GT(checked.load(), 1000);
    EXPECT_EQ(torn.load(), 0);
}

}  // namespace
}  // namespace shunt::rules
