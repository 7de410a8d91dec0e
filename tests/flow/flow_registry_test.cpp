// FlowRegistry: ids, listing oldest first, close through the flow's own close, and totals
// that keep the bytes of flows that ended.
#include <gtest/gtest.h>

#include "flow/flow_registry.hpp"

namespace shunt::flow {
namespace {

std::shared_ptr<LiveFlow> make_flow(const char* domain) {
    auto flow = std::make_shared<LiveFlow>();
    flow->domain = domain;
    return flow;
}

TEST(FlowRegistry, ListsFlowsOldestFirstWithFreshIds) {
    FlowRegistry registry;
    auto a = make_flow("a.test");
    auto b = make_flow("b.test");
    registry.add(a);
    registry.add(b);
    EXPECT_NE(a->id, b->id);
    const auto listed = registry.list();
    ASSERT_EQ(listed.size(), 2U);
    EXPECT_EQ(listed[0]->domain, "a.test");
    EXPECT_EQ(listed[1]->domain, "b.test");
    registry.remove(a->id);
    registry.remove(a->id);  // idempotent
    ASSERT_EQ(registry.size(), 1U);
    EXPECT_EQ(registry.list()[0]->id, b->id);
}

TEST(FlowRegistry, TotalsKeepTheBytesOfEndedFlows) {
    FlowRegistry registry;
    auto a = make_flow("a.test");
    auto b = make_flow("b.test");
    registry.add(a);
    registry.add(b);
    a->upload = 100;
    a->download = 1000;
    b->upload = 7;
    EXPECT_EQ(registry.totals().upload, 107U);
    registry.remove(a->id);
    a->upload = 5000;  // counted after it ended: no longer the registry's
    const auto totals = registry.totals();
    EXPECT_EQ(totals.upload, 107U);
    EXPECT_EQ(totals.download, 1000U);
    EXPECT_EQ(totals.flows, 2U);
}

TEST(FlowRegistry, CloseCallsTheFlowsOwnCloseWhichMayRemoveIt) {
    FlowRegistry registry;
    auto a = make_flow("a.test");
    auto b = make_flow("b.test");
    int closed = 0;
    a->close = [&] {
        ++closed;
        registry.remove(a->id);
    };
    b->close = [&] {
        ++closed;
        registry.remove(b->id);
    };
    registry.add(a);
    registry.add(b);
    EXPECT_TRUE(registry.close(a->id));
    EXPECT_EQ(closed, 1);
    EXPECT_FALSE(registry.close(a->id)) << "gone";
    EXPECT_FALSE(registry.close(12345));
    registry.add(a);
    EXPECT_EQ(registry.close_all(), 2U);
    EXPECT_EQ(closed, 3);
    EXPECT_EQ(registry.size(), 0U);
}

}  // namespace
}  // namespace shunt::flow
