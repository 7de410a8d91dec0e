// Proof derivation (known answers), the AUTH/AUTH_OK message layout and its parser.
#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "outbound/mux/protocol/auth.hpp"

namespace shunt::outbound::mux {
namespace {

using Bytes = std::vector<std::uint8_t>;

Key key_from_hex(const std::string& hex) {
    Key key{};
    for (std::size_t i = 0; i < key.size(); ++i)
        key[i] = static_cast<std::uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
    return key;
}

Key binding_0_to_31() {
    Key binding{};
    for (std::size_t i = 0; i < binding.size(); ++i) binding[i] = static_cast<std::uint8_t>(i);
    return binding;
}

// Computed independently of this code with Python's hmac module:
//   k = hmac.new(b"shunt-mux v1", b"correct horse", hashlib.sha256).digest()
//   b = bytes(range(32))
//   hmac.new(k, b"client" + b, hashlib.sha256).hexdigest()   (and b"server" + b)
// auth_key also checked with: printf 'correct horse' | openssl dgst -sha256 -hmac 'shunt-mux v1'
TEST(MuxAuth, KnownAnswers) {
    const Key key = auth_key("correct horse");
    EXPECT_EQ(key,
              key_from_hex("3e834dc0cd79f952d464c8e90da47d71ea7550d65eaba6004b08c4ba58113a5f"));
    EXPECT_EQ(client_proof(key, binding_0_to_31()),
              key_from_hex("f9640ab8289082d98ee17791fe43ad4e608507e210d051a7f6126abfe67a264d"));
    EXPECT_EQ(server_proof(key, binding_0_to_31()),
              key_from_hex("e120b85a61533e1b02f1cc86a6cc767bbcf4a3e73107fa8704a8fcbfa6443853"));
}

TEST(MuxAuth, ProofsDependOnRoleBindingAndPassword) {
    const Key key = auth_key("correct horse");
    const Key binding = binding_0_to_31();
    Key other_binding = binding;
    other_binding[31] ^= 1;
    const Key client = client_proof(key, binding);
    EXPECT_TRUE(proofs_equal(client, client_proof(key, binding)));
    EXPECT_FALSE(proofs_equal(client, server_proof(key, binding)));
    EXPECT_FALSE(proofs_equal(client, client_proof(key, other_binding)));
    EXPECT_FALSE(proofs_equal(client, client_proof(auth_key("correct horsf"), binding)));
    EXPECT_FALSE(proofs_equal(auth_key(""), auth_key("x")));
}

TEST(MuxAuth, MessageLayoutAndVaryingPadding) {
    const Key proof = client_proof(auth_key("pw"), binding_0_to_31());
    std::set<std::size_t> sizes;
    for (int i = 0; i < 100; ++i) {
        const Bytes message = build_auth_message(proof);
        ASSERT_GE(message.size(), kAuthFixedSize + kMinAuthPadding);
        ASSERT_LE(message.size(), kAuthFixedSize + kMaxAuthPadding);
        EXPECT_EQ(message[0], 1);
        EXPECT_EQ(std::size_t{message[1]} << 8 | message[2], message.size() - kAuthFixedSize);
        EXPECT_TRUE(std::equal(proof.begin(), proof.end(), message.begin() + 3));
        Key parsed{};
        std::size_t consumed = 0;
        ASSERT_EQ(parse_auth_message(message, parsed, consumed), AuthParse::complete);
        EXPECT_EQ(consumed, message.size());
        EXPECT_TRUE(proofs_equal(parsed, proof));
        sizes.insert(message.size());
    }
    // 100 draws from 497 sizes: fewer than 50 distinct ones would mean the padding is not
    // random (the chance of that by luck is negligible).
    EXPECT_GE(sizes.size(), 50u);
}

TEST(MuxAuth, ParseWaitsForTheWholeMessageAndIgnoresWhatFollows) {
    Bytes message = build_auth_message(Key{});
    const std::size_t size = message.size();
    for (std::size_t prefix = 0; prefix < size; ++prefix) {
        const Bytes exact(message.begin(), message.begin() + static_cast<std::ptrdiff_t>(prefix));
        Key proof{};
        std::size_t consumed = 0;
        EXPECT_EQ(parse_auth_message(exact, proof, consumed), AuthParse::incomplete) << prefix;
    }
    message.insert(message.end(), {3, 0, 0, 1});  // frames may follow AUTH in the same write
    Key proof{};
    std::size_t consumed = 0;
    EXPECT_EQ(parse_auth_message(message, proof, consumed), AuthParse::complete);
    EXPECT_EQ(consumed, size);
}

TEST(MuxAuth, ParseRefusesWrongVersionAndPadding) {
    Key proof{};
    std::size_t consumed = 0;
    Bytes message = build_auth_message(Key{});
    message[0] = 2;
    EXPECT_EQ(parse_auth_message(message, proof, consumed), AuthParse::invalid);
    EXPECT_EQ(parse_auth_message(Bytes{0}, proof, consumed), AuthParse::invalid);
    // A TLS record or HTTP request arriving instead of AUTH.
    EXPECT_EQ(parse_auth_message(Bytes{'G', 'E', 'T'}, proof, consumed), AuthParse::invalid);
    EXPECT_EQ(parse_auth_message(Bytes{1, 0, 15}, proof, consumed), AuthParse::invalid);
    EXPECT_EQ(parse_auth_message(Bytes{1, 0x02, 0x01}, proof, consumed), AuthParse::invalid);
    EXPECT_EQ(parse_auth_message(Bytes{1, 0xff, 0xff}, proof, consumed), AuthParse::invalid);
    EXPECT_EQ(parse_auth_message(Bytes{1, 0, 16}, proof, consumed), AuthParse::incomplete);
    EXPECT_EQ(parse_auth_message(Bytes{1, 0x02, 0x00}, proof, consumed), AuthParse::incomplete);
}

}  // namespace
}  // namespace shunt::outbound::mux
