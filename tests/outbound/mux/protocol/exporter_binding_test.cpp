// exporter_binding between a real OpenSSL client and server: two SSL objects joined by a
// BIO pair in memory (no sockets), with a certificate from the test CA.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <stdexcept>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "outbound/mux/protocol/auth.hpp"
#include "tests/support/test_ca.hpp"

namespace shunt::outbound::mux {
namespace {

struct CtxFree {
    void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct SslFree {
    void operator()(SSL* ssl) const { SSL_free(ssl); }
};
using CtxPtr = std::unique_ptr<SSL_CTX, CtxFree>;
using SslPtr = std::unique_ptr<SSL, SslFree>;

class ExporterBinding : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        ca_.emplace();
        certificate_ = ca_->issue("mux.test");
    }
    static void TearDownTestSuite() { ca_.reset(); }

    static CtxPtr server_context(int max_version) {
        CtxPtr ctx(SSL_CTX_new(TLS_server_method()));
        SSL_CTX_set_max_proto_version(ctx.get(), max_version);
        if (SSL_CTX_use_certificate_file(ctx.get(), certificate_.cert_file.c_str(),
                                         SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_use_PrivateKey_file(ctx.get(), certificate_.key_file.c_str(),
                                        SSL_FILETYPE_PEM) != 1)
            throw std::runtime_error("cannot load the test certificate");
        return ctx;
    }

    static CtxPtr client_context() {
        CtxPtr ctx(SSL_CTX_new(TLS_client_method()));
        SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
        SSL_CTX_load_verify_locations(ctx.get(), ca_->ca_file().c_str(), nullptr);
        return ctx;
    }

    struct Connection {
        SslPtr client;
        SslPtr server;
    };

    // Runs a handshake between fresh SSL objects over a BIO pair; both ends are
    // established on return (or the test has failed).
    static Connection handshake(SSL_CTX* client_ctx, SSL_CTX* server_ctx) {
        Connection c{SslPtr(SSL_new(client_ctx)), SslPtr(SSL_new(server_ctx))};
        BIO* client_bio = nullptr;
        BIO* server_bio = nullptr;
        BIO_new_bio_pair(&client_bio, 0, &server_bio, 0);
        SSL_set_bio(c.client.get(), client_bio, client_bio);  // SSL owns the BIOs now
        SSL_set_bio(c.server.get(), server_bio, server_bio);
        SSL_set_tlsext_host_name(c.client.get(), "mux.test");
        SSL_set1_host(c.client.get(), "mux.test");
        SSL_set_connect_state(c.client.get());
        SSL_set_accept_state(c.server.get());
        bool client_done = false;
        bool server_done = false;
        for (int round = 0; round < 20 && !(client_done && server_done); ++round) {
            for (auto [ssl, done] : {std::pair{c.client.get(), &client_done},
                                     std::pair{c.server.get(), &server_done}}) {
                const int result = SSL_do_handshake(ssl);
                if (result == 1) {
                    *done = true;
                    continue;
                }
                const int error = SSL_get_error(ssl, result);
                EXPECT_TRUE(error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE)
                    << "handshake error " << error << ": "
                    << ERR_error_string(ERR_get_error(), nullptr);
            }
        }
        EXPECT_TRUE(client_done && server_done);
        return c;
    }

    static inline std::optional<test::TestCa> ca_;
    static inline test::TestCertificate certificate_;
};

TEST_F(ExporterBinding, BothSidesAgreeAndConnectionsDiffer) {
    const CtxPtr server_ctx = server_context(TLS1_3_VERSION);
    const CtxPtr client_ctx = client_context();
    const Connection first = handshake(client_ctx.get(), server_ctx.get());
    const Connection second = handshake(client_ctx.get(), server_ctx.get());
    ASSERT_EQ(SSL_version(first.client.get()), TLS1_3_VERSION);

    Key client_side{}, server_side{}, other{};
    ASSERT_TRUE(exporter_binding(first.client.get(), client_side));
    ASSERT_TRUE(exporter_binding(first.server.get(), server_side));
    ASSERT_TRUE(exporter_binding(second.client.get(), other));
    EXPECT_EQ(client_side, server_side);
    EXPECT_NE(client_side, other);
    EXPECT_NE(client_side, Key{});

    // The whole exchange: the server accepts the client's proof on its own binding, and
    // a proof from the other connection is refused (no replay).
    const Key key = auth_key("secret");
    EXPECT_TRUE(proofs_equal(client_proof(key, client_side), client_proof(key, server_side)));
    EXPECT_FALSE(proofs_equal(client_proof(key, other), client_proof(key, server_side)));
}

TEST_F(ExporterBinding, RefusesUnfinishedHandshakesAndTls12) {
    Key binding{};
    EXPECT_FALSE(exporter_binding(nullptr, binding));
    const CtxPtr client_ctx = client_context();
    const SslPtr fresh(SSL_new(client_ctx.get()));
    EXPECT_FALSE(exporter_binding(fresh.get(), binding));

    const CtxPtr tls12_server = server_context(TLS1_2_VERSION);
    const Connection tls12 = handshake(client_ctx.get(), tls12_server.get());
    ASSERT_EQ(SSL_version(tls12.client.get()), TLS1_2_VERSION);
    EXPECT_FALSE(exporter_binding(tls12.client.get(), binding));
}

}  // namespace
}  // namespace shunt::outbound::mux
