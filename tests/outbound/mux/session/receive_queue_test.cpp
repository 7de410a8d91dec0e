// ReceiveQueue against a plain byte deque: random appends (1 byte to several blocks) and
// reads of random sizes give the same bytes in the same order; memory stays within two
// partly used blocks of the bytes held, and an emptied queue holds no block.
#include "outbound/mux/session/receive_queue.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <vector>

namespace shunt::outbound::mux {
namespace {

constexpr std::size_t kBlock = ReceiveQueue::kBlockSize;

TEST(ReceiveQueue, BytesComeOutInOrderWhateverTheSizes) {
    std::mt19937 random(7);
    ReceiveQueue queue;
    std::deque<std::uint8_t> model;
    std::uint8_t next = 0;
    for (int round = 0; round < 20'000; ++round) {
        if (random() % 2 == 0) {
            // Mostly small frames, sometimes larger than a block.
            const std::size_t n = random() % 8 == 0 ? random() % (3 * kBlock) : random() % 64 + 1;
            std::vector<std::uint8_t> bytes(n);
            for (auto& b : bytes) b = next++;
            queue.append(bytes);
            model.insert(model.end(), bytes.begin(), bytes.end());
        } else {
            std::vector<std::uint8_t> out(random() % (2 * kBlock) + 1);
            const std::size_t n = queue.read(out);
            ASSERT_EQ(n, std::min(out.size(), model.size())) << "round " << round;
            for (std::size_t i = 0; i < n; ++i) {
                ASSERT_EQ(out[i], model.front()) << "round " << round << " byte " << i;
                model.pop_front();
            }
        }
        ASSERT_EQ(queue.size(), model.size());
        // The bytes, plus the unread start of the front block and the unwritten end of the
        // back one.
        ASSERT_LE(queue.blocks() * kBlock, model.size() + 2 * kBlock) << "round " << round;
        if (model.empty()) {
            ASSERT_EQ(queue.blocks(), 0u) << "an empty queue holds no block";
        }
    }
}

TEST(ReceiveQueue, OneByteFramesCostNoMoreThanTheirBytes) {
    ReceiveQueue queue;
    const std::uint8_t byte = 42;
    for (std::size_t i = 0; i < 256 * 1024; ++i) queue.append({&byte, 1});
    EXPECT_EQ(queue.size(), 256u * 1024);
    EXPECT_EQ(queue.blocks(), 256u * 1024 / kBlock);
    queue.clear();
    EXPECT_EQ(queue.blocks(), 0u);
    EXPECT_TRUE(queue.empty());
    std::uint8_t out[4];
    EXPECT_EQ(queue.read(out), 0u);
}

}  // namespace
}  // namespace shunt::outbound::mux
