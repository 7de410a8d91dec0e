#include "outbound/mux/protocol/auth.hpp"

#include <cstring>
#include <stdexcept>
#include <string>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace shunt::outbound::mux {

namespace {

constexpr std::string_view kAuthKeyLabel = "shunt-mux v1";

Key hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> message) {
    Key out{};
    unsigned int length = 0;
    // One-shot HMAC cannot fail for SHA-256 with in-memory inputs short of memory
    // exhaustion; a failure would leave an all-zero key, which then proves nothing.
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), message.data(), message.size(),
         out.data(), &length);
    return out;
}

std::span<const std::uint8_t> bytes_of(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

Key role_proof(const Key& auth_key, std::string_view role, const Key& binding) {
    std::array<std::uint8_t, 6 + 32> message{};
    std::memcpy(message.data(), role.data(), role.size());
    std::memcpy(message.data() + role.size(), binding.data(), binding.size());
    return hmac_sha256(auth_key, std::span(message.data(), role.size() + binding.size()));
}

void random_bytes(std::uint8_t* out, std::size_t size) {
    if (size != 0 && RAND_bytes(out, static_cast<int>(size)) != 1)
        throw std::runtime_error("RAND_bytes failed");
}

}  // namespace

Key auth_key(std::string_view password) {
    return hmac_sha256(bytes_of(kAuthKeyLabel), bytes_of(password));
}

Key client_proof(const Key& auth_key, const Key& binding) {
    return role_proof(auth_key, "client", binding);
}

Key server_proof(const Key& auth_key, const Key& binding) {
    return role_proof(auth_key, "server", binding);
}

bool proofs_equal(const Key& a, const Key& b) {
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool exporter_binding(SSL* ssl, Key& binding) {
    // The TLS 1.2 exporter distinguishes "no context" from "empty context" and is not bound
    // to the full handshake the same way; mux is defined over TLS 1.3 only.
    if (ssl == nullptr || !SSL_is_init_finished(ssl) || SSL_version(ssl) != TLS1_3_VERSION)
        return false;
    static const std::uint8_t kNoContext = 0;
    return SSL_export_keying_material(ssl, binding.data(), binding.size(), kExporterLabel.data(),
                                      kExporterLabel.size(), &kNoContext, 0,
                                      /*use_context=*/1) == 1;
}

std::vector<std::uint8_t> build_auth_message(const Key& proof) {
    std::array<std::uint8_t, 2> draw{};
    random_bytes(draw.data(), draw.size());
    // Modulo bias over 65536 values into 497 is below 1%: irrelevant for padding whose only
    // job is to make the first record's size vary.
    constexpr unsigned kSpan = kMaxAuthPadding - kMinAuthPadding + 1;
    const auto pad = static_cast<std::uint16_t>(kMinAuthPadding + (draw[0] << 8 | draw[1]) % kSpan);

    std::vector<std::uint8_t> message(kAuthFixedSize + pad);
    message[0] = kAuthVersion;
    message[1] = static_cast<std::uint8_t>(pad >> 8);
    message[2] = static_cast<std::uint8_t>(pad & 0xff);
    std::memcpy(message.data() + 3, proof.data(), proof.size());
    random_bytes(message.data() + kAuthFixedSize, pad);
    return message;
}

AuthParse parse_auth_message(std::span<const std::uint8_t> in, Key& proof, std::size_t& consumed) {
    if (in.empty()) return AuthParse::incomplete;
    if (in[0] != kAuthVersion) return AuthParse::invalid;
    if (in.size() < 3) return AuthParse::incomplete;
    const std::size_t pad = std::size_t{in[1]} << 8 | in[2];
    // A peer that announces more than 512 bytes is not a mux peer; refusing early keeps a
    // prober from making the server wait for 64 KiB.
    if (pad < kMinAuthPadding || pad > kMaxAuthPadding) return AuthParse::invalid;
    if (in.size() < kAuthFixedSize + pad) return AuthParse::incomplete;
    std::memcpy(proof.data(), in.data() + 3, proof.size());
    consumed = kAuthFixedSize + pad;
    return AuthParse::complete;
}

}  // namespace shunt::outbound::mux
