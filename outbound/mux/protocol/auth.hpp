// mux carrier authentication (docs/mux.md, "Authentication"): the password never crosses
// the wire; each side proves it knows it with an HMAC over the TLS exporter value of this
// very connection, so a recorded proof is worthless on any other connection.
//
//   auth_key     = HMAC-SHA256(key = "shunt-mux v1", message = password)
//   binding      = TLS-Exporter("EXPORTER-shunt-mux-v1", context "", 32 bytes)
//   client_proof = HMAC-SHA256(auth_key, "client" || binding)
//   server_proof = HMAC-SHA256(auth_key, "server" || binding)
//
// AUTH and AUTH_OK share one layout:
//   version u8 = 1 | pad_length u16 BE (16..512, random) | proof 32 bytes | padding
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <openssl/ssl.h>

namespace shunt::outbound::mux {

using Key = std::array<std::uint8_t, 32>;

inline constexpr std::uint8_t kAuthVersion = 1;
inline constexpr std::size_t kAuthFixedSize = 1 + 2 + 32;  // before the padding
inline constexpr std::uint16_t kMinAuthPadding = 16;
inline constexpr std::uint16_t kMaxAuthPadding = 512;
inline constexpr std::string_view kExporterLabel = "EXPORTER-shunt-mux-v1";

Key auth_key(std::string_view password);
Key client_proof(const Key& auth_key, const Key& binding);
Key server_proof(const Key& auth_key, const Key& binding);
// Constant time: how long a comparison takes says nothing about where the proofs differ.
bool proofs_equal(const Key& a, const Key& b);

// The exporter value of an established TLS 1.3 connection. False when the handshake is not
// done, the connection is not TLS 1.3, or OpenSSL fails.
bool exporter_binding(SSL* ssl, Key& binding);

// An AUTH (client) or AUTH_OK (server) message with random padding of 16..512 bytes.
// Throws std::runtime_error if the random generator fails (no message without it).
std::vector<std::uint8_t> build_auth_message(const Key& proof);

enum class AuthParse : std::uint8_t { complete, incomplete, invalid };
// complete: `proof` is set and `consumed` = 35 + pad_length. invalid: version != 1 or a
// pad_length outside 16..512 (known as soon as the first 3 bytes are there).
AuthParse parse_auth_message(std::span<const std::uint8_t> in, Key& proof, std::size_t& consumed);

}  // namespace shunt::outbound::mux
