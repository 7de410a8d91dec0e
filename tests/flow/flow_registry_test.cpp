// FlowRegistry: ids, listing oldest first, close through the flow's owner, totals that
// keep the bytes of flows that ended, and a flow that unlists itself when destroyed.
#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "flow/flow_registry.hpp"

namespace shunt::flow {
namespace {

std::unique_ptr<LiveFlow> make_flow(const char* domain) {
    FlowRecord record;
    record.domain = domain;
    return std::make_unique<LiveFlow>(std::move(record));
}

// An owner whose close runs `on_close`.
struct TestOwner final : FlowOwner {
    std::function<void()> on_close;
    int closed = 0;
    void close_flow() override {
        ++closed;
        if (on_close) on_close();
    }
};

TEST(FlowRegistry, ListsFlowsOldestFirstWithFreshIds) {
    FlowRegistry registry;
    TestOwner owner;
    auto a = make_flow("a.test");
    auto b = make_flow("b.test");
    auto c = make_flow("c.test");
    registry.add(*a, owner);
    registry.add(*b, owner);
    registry.add(*c, owner);
    EXPECT_NE(a->id, b->id);
    auto listed = registry.list();
    ASSERT_EQ(listed.size(), 3U);
    EXPECT_EQ(listed[0].domain, "a.test");
    EXPECT_EQ(listed[2].domain, "c.test");
    registry.remove(*b);  // from the middle
    registry.remove(*b);  // idempotent
    listed = registry.list();
    ASSERT_EQ(listed.size(), 2U);
    EXPECT_EQ(listed[0].id, a->id);
    EXPECT_EQ(listed[1].id, c->id);
    registry.remove(*a);  // the oldest
    registry.remove(*c);  // the newest
    EXPECT_EQ(registry.size(), 0U);
    EXPECT_TRUE(registry.list().empty());
    registry.add(*b, owner);  // the list works again from empty
    EXPECT_EQ(registry.list().at(0).domain, "b.test");
}

// a.test and b.test listed, in that order.
class TwoListedFlows : public ::testing::Test {
  protected:
    TwoListedFlows() {
        registry.add(*a, owner);
        registry.add(*b, owner);
    }
    FlowRegistry registry;
    TestOwner owner;
    std::unique_ptr<LiveFlow> a = make_flow("a.test");
    std::unique_ptr<LiveFlow> b = make_flow("b.test");
};

TEST_F(TwoListedFlows, TotalsKeepTheBytesOfEndedFlows) {
    a->upload = 100;
    a->download = 1000;
    b->upload = 7;
    EXPECT_EQ(registry.totals().upload, 107U);
    registry.remove(*a);
    a->upload = 5000;  // counted after it ended: no longer the registry's
    const auto totals = registry.totals();
    EXPECT_EQ(totals.upload, 107U);
    EXPECT_EQ(totals.download, 1000U);
    EXPECT_EQ(totals.flows, 2U);
}

TEST_F(TwoListedFlows, ADestroyedFlowIsUnlistedWithItsBytesKept) {
    a->download = 42;
    a.reset();
    ASSERT_EQ(registry.size(), 1U);
    EXPECT_EQ(registry.list().at(0).domain, "b.test");
    EXPECT_EQ(registry.totals().download, 42U);
}

TEST(FlowRegistry, FlowsMayOutliveTheRegistry) {
    auto a = make_flow("a.test");
    TestOwner owner;
    {
        FlowRegistry registry;
        registry.add(*a, owner);
        EXPECT_TRUE(a->listed());
    }
    EXPECT_FALSE(a->listed());
    a.reset();  // no use of the registry that is gone (ASan would say)
}

TEST(FlowRegistry, CloseGoesThroughTheOwnerWhichMayRemoveAndDestroyTheFlow) {
    FlowRegistry registry;
    auto a = make_flow("a.test");
    auto b = make_flow("b.test");
    TestOwner owner_a, owner_b;
    owner_a.on_close = [&] { a.reset(); };  // a session that ends and goes
    owner_b.on_close = [&] { registry.remove(*b); };
    registry.add(*a, owner_a);
    registry.add(*b, owner_b);
    const auto id_a = a->id;
    EXPECT_TRUE(registry.close(id_a));
    EXPECT_EQ(owner_a.closed, 1);
    EXPECT_FALSE(registry.close(id_a)) << "gone";
    EXPECT_FALSE(registry.close(12345));
    a = make_flow("a2.test");
    registry.add(*a, owner_a);
    EXPECT_EQ(registry.close_all(), 2U);
    EXPECT_EQ(owner_a.closed, 2);
    EXPECT_EQ(owner_b.closed, 1);
    EXPECT_EQ(registry.size(), 0U);
}

}  // namespace
}  // namespace shunt::flow
