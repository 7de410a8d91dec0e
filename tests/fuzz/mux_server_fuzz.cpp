// libFuzzer target for the mux server as a client meets it: the input is what a client
// sends after the TLS handshake — AUTH, then frames (OPEN with its address, DATA,
// WINDOW_UPDATE, FIN, RESET, PING, DATAGRAM, ...) — and a real MuxServer judges the AUTH
// and runs the carrier on a real io_context. TLS itself is not fuzzed: the harness is a
// TLS client (the real TlsChannel) on one end of a socketpair whose other end the server
// authenticates, so the server decrypts exactly the fuzzed plaintext, cut into records as
// the harness writes it.
//
// Nothing reaches a real network: TCP targets are in-memory (socketpair ends handed back
// through MuxServer's TargetDialer; the port picks how each behaves), names resolve through
// a lookup of the harness, the policy lets datagrams go to 127.255.255.0/24 only, and the
// process moves into a network namespace of its own when it may (root).
//
// Checked after every chunk the client delivers (violations are __builtin_trap):
//  - AUTH: a valid proof authenticates the carrier, a wrong or absent one never does, and a
//    refused client receives no plaintext at all;
//  - what the server sends is AUTH_OK with the right proof, then well-formed frames, never
//    an OPEN, and stream frames only for ids the client opened;
//  - the carrier's accounting (MuxCarrierInspector): its buffered total is the sum of its
//    streams' unread and taken-but-unconsumed bytes; a stream's credit is conserved (the
//    peer's credit plus the bytes received and not yet credited back equal its window while
//    its data is taken, never exceed it otherwise); window growth sums up and stays within
//    the session cap; frames queued are being written; a paused reader has a write in
//    flight to resume it; withheld window updates go out once the data is under the cap;
//    the queue stays bounded;
//  - the server only dials addresses its policy allows;
//  - after each input (the carrier closed, the client gone) nothing is left pending on the
//    io_context and the carrier, with all it held, is freed.
//
// Input: byte 0 flags, byte 1 AUTH padding (16 + byte), byte 2 chunking; the rest is the
// client's byte stream after AUTH.
//   flags bits 0-1: 0, 1 valid AUTH; 2 AUTH with a wrong proof; 3 no AUTH of the harness
//                   (the rest is sent as it is, an AUTH of the fuzzer's own first)
//   bit 2: the client never reads what the server sends (the server's queue backs up)
//   bit 3: small windows (4 KiB initial, 16 KiB max, 8 KiB session cap)
//   bit 4: strict policy (private targets refused too: every target is)
//   bit 5: at most 4 streams per carrier
//   bits 6-7: 0 one write; 1, 2 writes of (byte 2 + 1) bytes; 3 the rest repeated
//             2^(byte 2 % 12) times, at most 4 MiB (what it takes to fill the queue)
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bitset>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "outbound/mux/protocol/auth.hpp"
#include "outbound/mux/protocol/frame.hpp"
#include "outbound/mux/server/mux_server.hpp"
#include "outbound/mux/session/mux_carrier.hpp"
#include "outbound/mux/session/tls_channel.hpp"

namespace shunt::outbound::mux {

namespace {

void check(bool condition) {
    if (!condition) __builtin_trap();
}

constexpr std::size_t kCarrierReadBuffer = 256 * 1024;  // mux_carrier.cpp's kReadBuffer

}  // namespace

// Reads MuxCarrier's private accounting (it declares this class its friend for the fuzzer).
class MuxCarrierInspector {
  public:
    static void stop_lingering(MuxCarrier& c) { c.stop_lingering(); }
    static void check_carrier(const MuxCarrier& c) {
        if (c.state_ == CarrierState::closed) {
            check(c.streams_.empty() && c.total_buffered_ == 0 && c.window_growth_ == 0);
            return;
        }
        const std::uint64_t max_window = std::max(c.options_.max_window, c.options_.initial_window);
        std::size_t buffered = 0;
        std::size_t growth = 0;
        for (const auto& [id, s] : c.streams_) {
            check(s != nullptr && s->id == id && s->carrier == &c);
            check(s->phase != StreamPhase::closed);  // a closed stream leaves the table
            check(s->buffered == s->received.size());
            // Credit: what the peer may still send plus what it sent that we have not
            // credited back (unread, taken, consumed) is the window; only bytes dropped
            // (reset sent, failed) make it less.
            const std::uint64_t held = s->buffered + s->taken_unconsumed + s->consumed_unreported;
            check(held + s->granted <= s->window.size());
            if (takes_data(s->phase) && !s->error) check(held + s->granted == s->window.size());
            if (s->error || s->phase == StreamPhase::reset_sent)
                check(s->buffered == 0 && s->taken_unconsumed == 0);
            check(s->window.size() <= max_window);
            buffered += s->buffered + s->taken_unconsumed;
            growth += s->window.grown();
        }
        check(buffered == c.total_buffered_);
        check(growth == c.window_growth_ && c.window_growth_ <= c.options_.session_cap);
        // Every frame queued is being written (or waits for the write in flight): a frame
        // appended without flush() would sit until something else is sent.
        check(c.writing_now_ || c.out_.empty());
        // A reader paused for the queue resumes when a write completes: one must be running.
        check(!c.reading_paused_ || c.writing_now_);
        // Updates withheld for the session cap go once the data held is back under it.
        if (c.total_buffered_ <= c.options_.session_cap) {
            for (const auto& weak : c.owed_updates_) {
                const auto s = weak.lock();
                check(!s || c.find(s->id) != s || !takes_data(s->phase) || s->error ||
                      !s->window.update_due(s->consumed_unreported));
            }
        }
        // Reading stops past kReadPauseQueue; on top come the answers to one read buffer of
        // frames, each at most 15 times what it answers (a 14-byte OPEN refused with a
        // reason of up to 200 bytes), which also covers stream data (stopped at kHighWater).
        check(c.queued_bytes() <= MuxCarrier::kReadPauseQueue + 16 * kCarrierReadBuffer);
    }
};

// Reaches MuxServer's accept path without a listener, its per-carrier settings and its
// carriers (a friend too). One server serves every input (building one costs more than the
// rest of an input: a TLS context, a key to decode); these put it back to empty after each.
class MuxServerInspector {
  public:
    static void accept(MuxServer& server, boost::asio::ip::tcp::socket socket) {
        server.authenticate(std::move(socket));
    }
    static void configure(MuxServer& server, const CarrierOptions& carrier, TargetPolicy policy) {
        server.options_.carrier = carrier;
        server.targets_ = std::make_shared<const TargetPolicy>(std::move(policy));
    }
    static std::shared_ptr<MuxCarrier> carrier(const MuxServer& server) {
        return server.carriers_.empty() ? nullptr : server.carriers_.front();
    }
    static bool empty(const MuxServer& server) {
        return server.carriers_.empty() && server.handshakes_ == 0;
    }
    static void check_server(const MuxServer& server) {
        check(server.carriers_.size() + server.handshakes_ <= 1);  // one connection per input
        for (const auto& carrier : server.carriers_) MuxCarrierInspector::check_carrier(*carrier);
    }
    // The input's carrier closes (stop() would end the server for good) and stops waiting
    // for a GOAWAY to leave, lingering after a protocol error out of the list. (A handshake
    // still reading AUTH ends when the client closes its end.)
    static void close_carrier(MuxServer& server, const std::shared_ptr<MuxCarrier>& last) {
        auto carriers = std::move(server.carriers_);
        server.carriers_.clear();
        for (auto& carrier : carriers) carrier->close("input consumed");
        if (last) MuxCarrierInspector::stop_lingering(*last);
    }
};

namespace {

using tcp = boost::asio::ip::tcp;

constexpr const char* kPassword = "fuzz password";
constexpr std::size_t kMaxRepeated = 4 * 1024 * 1024;
constexpr std::size_t kMaxHandlersPerStep = 1'000'000;
// A UDP echo inside the one range the policy leaves (on loopback: nothing else is there).
constexpr const char* kUdpEchoAddress = "127.255.255.7";
constexpr std::uint16_t kUdpEchoPort = 4007;

// The server's certificate and key, made once, in memory files (no temporary files left
// behind by a crash): MuxServer loads them by path.
struct Credentials {
    std::string cert_file;
    std::string key_file;
};

std::string memory_file(const char* name, const std::function<int(BIO*)>& write) {
    const int fd = memfd_create(name, 0);
    check(fd >= 0);
    BIO* bio = BIO_new_fd(fd, BIO_NOCLOSE);
    check(bio != nullptr && write(bio) == 1);
    BIO_free(bio);
    return "/proc/self/fd/" + std::to_string(fd);  // fd stays open for the process
}

const Credentials& credentials() {
    static const Credentials made = [] {
        EVP_PKEY* key = EVP_EC_gen("P-256");
        X509* cert = X509_new();
        check(key != nullptr && cert != nullptr);
        X509_set_version(cert, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
        X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
        X509_gmtime_adj(X509_getm_notAfter(cert), 3600L * 24 * 365 * 10);
        X509_set_pubkey(cert, key);
        X509_NAME* name = X509_get_subject_name(cert);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("mux.fuzz"), -1, -1, 0);
        X509_set_issuer_name(cert, name);
        check(X509_sign(cert, key, EVP_sha256()) > 0);
        Credentials out;
        out.cert_file =
            memory_file("mux-fuzz-cert", [cert](BIO* b) { return PEM_write_bio_X509(b, cert); });
        out.key_file = memory_file("mux-fuzz-key", [key](BIO* b) {
            return PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr);
        });
        X509_free(cert);
        EVP_PKEY_free(key);
        return out;
    }();
    return made;
}

SSL_CTX* client_context() {
    static SSL_CTX* context = [] {
        SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
        check(ctx != nullptr);
        SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);  // the test is about what follows
        return ctx;
    }();
    return context;
}

// Every IPv4 prefix but 127.255.255.0/24, and all of IPv6 (IPv4-mapped addresses are judged
// as IPv4): the only targets the policy leaves are addresses on loopback where nothing but
// the harness's UDP echo listens.
std::vector<Prefix> deny_all_but_a_loopback_corner() {
    const std::uint32_t kept = 0x7fffff00;  // 127.255.255.0
    std::vector<Prefix> deny;
    for (int bit = 0; bit < 24; ++bit) {
        const std::uint32_t flipped = kept ^ (0x80000000u >> bit);
        deny.emplace_back(IpAddress::from_v4(flipped), bit + 1);
    }
    deny.emplace_back(*IpAddress::parse("::"), 0);
    return deny;
}

struct Input {
    enum class Auth : std::uint8_t { valid, wrong_proof, none };
    Auth auth = Auth::valid;
    bool client_reads = true;
    bool small_windows = false;
    bool strict_policy = false;
    bool few_streams = false;
    bool repeated = false;
    std::size_t chunk = 0;  // 0: one write
    std::size_t repeats = 1;
    std::uint16_t padding = 16;
    std::uint8_t flip = 0;  // which proof byte a wrong proof differs in
    std::span<const std::uint8_t> rest;

    Input(const std::uint8_t* data, std::size_t size) {
        const auto byte = [&](std::size_t i) -> std::uint8_t { return i < size ? data[i] : 0; };
        const std::uint8_t flags = byte(0);
        auth = (flags & 3) < 2 ? Auth::valid : (flags & 3) == 2 ? Auth::wrong_proof : Auth::none;
        client_reads = (flags & 4) == 0;
        small_windows = (flags & 8) != 0;
        strict_policy = (flags & 16) != 0;
        few_streams = (flags & 32) != 0;
        padding = static_cast<std::uint16_t>(16 + byte(1));
        flip = byte(1) % 32;
        const unsigned feed = flags >> 6;
        if (feed == 1 || feed == 2) chunk = std::size_t{byte(2)} + 1;
        rest = size > 3 ? std::span(data + 3, size - 3) : std::span<const std::uint8_t>();
        if (feed == 3 && !rest.empty()) {
            repeated = true;
            repeats = std::min<std::size_t>(std::size_t{1} << (byte(2) % 12),
                                            std::max<std::size_t>(kMaxRepeated / rest.size(), 1));
        }
    }
};

// Where the client's byte stream stands in its framing (PONGs of the harness may only go
// in between frames), and which stream ids it opened.
struct Framer {
    std::array<std::uint8_t, kHeaderSize> header{};
    std::size_t have = 0;
    std::size_t payload_left = 0;
    std::bitset<65536> opened;

    void feed(std::span<const std::uint8_t> bytes) {
        while (!bytes.empty()) {
            if (payload_left > 0) {
                const std::size_t n = std::min(payload_left, bytes.size());
                payload_left -= n;
                bytes = bytes.subspan(n);
                continue;
            }
            header[have++] = bytes[0];
            bytes = bytes.subspan(1);
            if (have < kHeaderSize) continue;
            have = 0;
            payload_left = std::size_t{header[4]} << 8 | header[5];
            if (header[0] == static_cast<std::uint8_t>(FrameType::open))
                opened.set(std::size_t{header[2]} << 8 | header[3]);
        }
    }
    bool at_boundary() const { return have == 0 && payload_left == 0; }
};

// The fuzzed client: a TLS client that writes what it is given (one write in flight at a
// time, as TlsChannel wants) and, unless told not to, reads and checks what the server
// sends, keeping the PINGs to answer.
struct Client : std::enable_shared_from_this<Client> {
    explicit Client(tcp::socket socket)
        : tls(std::make_shared<TlsChannel>(std::move(socket), client_context(),
                                           TlsChannel::Role::client)) {}

    std::shared_ptr<TlsChannel> tls;
    bool handshaken = false;
    std::vector<std::uint8_t> pending;
    std::vector<std::uint8_t> writing;
    bool write_in_flight = false;
    std::vector<std::uint8_t> buffer = std::vector<std::uint8_t>(64 * 1024);
    std::vector<std::uint8_t> in;
    bool authenticated_expected = false;
    Key expected_server_proof{};
    bool auth_ok = false;
    const Framer* framer = nullptr;
    std::vector<std::array<std::uint8_t, kPingSize>> pings;

    // The channel keeps the handlers of its operations: they hold the client weakly.
    void handshake() {
        tls->async_handshake([weak = weak_from_this()](const boost::system::error_code& ec) {
            if (auto self = weak.lock()) self->handshaken = !ec;
        });
    }

    void send(std::span<const std::uint8_t> bytes) {
        pending.insert(pending.end(), bytes.begin(), bytes.end());
        pump();
    }

    void pump() {
        if (write_in_flight || pending.empty()) return;
        write_in_flight = true;
        writing.swap(pending);
        pending.clear();
        tls->async_write(
            writing, [weak = weak_from_this()](const boost::system::error_code& ec, std::size_t) {
                auto self = weak.lock();
                if (!self) return;
                self->write_in_flight = false;
                self->writing.clear();
                if (!ec) self->pump();  // after a failure the rest stays unsent
            });
    }

    void read() {
        tls->async_read_some(
            buffer, [weak = weak_from_this()](const boost::system::error_code& ec, std::size_t n) {
                auto self = weak.lock();
                if (!self || ec) return;
                self->on_read(n);
                self->read();
            });
    }

    void on_read(std::size_t n) {
        // A server that refused AUTH (or has not judged it) sends no byte of plaintext.
        check(authenticated_expected);
        in.insert(in.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
        std::size_t offset = 0;
        if (!auth_ok) {
            Key proof{};
            std::size_t consumed = 0;
            const auto status = parse_auth_message(in, proof, consumed);
            check(status != AuthParse::invalid);
            if (status == AuthParse::incomplete) return;
            check(proofs_equal(proof, expected_server_proof));
            auth_ok = true;
            offset = consumed;
        }
        for (;;) {
            Frame frame;
            std::size_t consumed = 0;
            std::string error;
            const auto status = parse_frame(std::span(in).subspan(offset), frame, consumed, error);
            check(status != ParseStatus::invalid);  // the server writes well-formed frames
            if (status == ParseStatus::incomplete) break;
            check(frame.type != FrameType::open);
            check(frame.stream == 0 || framer->opened.test(frame.stream));
            if (frame.type == FrameType::ping) {
                auto& ping = pings.emplace_back();
                std::copy_n(frame.payload.begin(), kPingSize, ping.begin());
            }
            offset += consumed;
        }
        in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(offset));
    }
};

// The far end of a TCP target the server "connected": echoes, or sends and never reads,
// or reads once and goes.
struct TargetEnd : std::enable_shared_from_this<TargetEnd> {
    enum class Kind : std::uint8_t { echo, sink, read_once };

    TargetEnd(tcp::socket s, Kind kind, std::size_t greeting)
        : socket(std::move(s)), kind(kind), greeting(greeting) {}

    tcp::socket socket;
    Kind kind;
    std::size_t greeting;
    std::vector<std::uint8_t> buffer = std::vector<std::uint8_t>(16 * 1024);

    void start() {
        if (kind != Kind::sink) return read();
        static const std::vector<std::uint8_t> pattern = [] {
            std::vector<std::uint8_t> bytes(65536);
            for (std::size_t i = 0; i < bytes.size(); ++i)
                bytes[i] = static_cast<std::uint8_t>(i * 7);
            return bytes;
        }();
        boost::asio::async_write(
            socket, boost::asio::buffer(pattern.data(), greeting),
            [self = shared_from_this()](const boost::system::error_code&, std::size_t) {
                boost::system::error_code ignored;
                self->socket.shutdown(tcp::socket::shutdown_send, ignored);
            });
    }

    void read() {
        socket.async_read_some(
            boost::asio::buffer(buffer),
            [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                boost::system::error_code ignored;
                if (ec) {
                    self->socket.shutdown(tcp::socket::shutdown_send, ignored);
                    return;
                }
                if (self->kind == Kind::read_once) {
                    self->socket.close(ignored);
                    return;
                }
                boost::asio::async_write(
                    self->socket, boost::asio::buffer(self->buffer.data(), n),
                    [self](const boost::system::error_code& write_error, std::size_t) {
                        if (!write_error) self->read();
                    });
            });
    }
};

struct Run;

// What lives across inputs: the io_context and the server on it, with nothing pending
// between inputs. Its lookups and dials go to the input being run.
struct World {
    World() {
        MuxServerOptions options;
        options.password = kPassword;
        options.cert_file = credentials().cert_file;
        options.key_file = credentials().key_file;
        server = std::make_unique<MuxServer>(
            io.get_executor(), options,
            [this](const std::string& name, AddressCallback done) {
                lookup(name, std::move(done));
            },
            [this](std::vector<IpAddress> addresses, std::uint16_t port,
                   HappyEyeballsDialer::Handler done) { dial(addresses, port, std::move(done)); });
        // Where datagrams come back from. Without it (the address cannot be had) they are
        // lost like any other, and the server's way back is not reached.
        boost::system::error_code ec;
        udp_echo.open(boost::asio::ip::udp::v4(), ec);
        if (!ec)
            udp_echo.bind({boost::asio::ip::make_address_v4(kUdpEchoAddress), kUdpEchoPort}, ec);
        if (!ec) udp_echo.non_blocking(true, ec);
        if (ec) udp_echo.close(ec);
    }
    void lookup(const std::string& name, AddressCallback done);

    // Sends back what reached the echo address; true if anything did. No wait is left
    // pending between inputs: the harness calls it when the io_context is idle.
    bool echo_datagrams() {
        if (!udp_echo.is_open()) return false;
        bool echoed = false;
        for (;;) {
            boost::asio::ip::udp::endpoint from;
            boost::system::error_code ec;
            const std::size_t n = udp_echo.receive_from(boost::asio::buffer(datagram), from, 0, ec);
            if (ec == boost::asio::error::would_block) return echoed;
            if (ec) continue;  // an ICMP error queued on the socket
            udp_echo.send_to(boost::asio::buffer(datagram.data(), n), from, 0, ec);
            echoed = true;
        }
    }
    void dial(const std::vector<IpAddress>& addresses, std::uint16_t port,
              HappyEyeballsDialer::Handler done);

    boost::asio::io_context io{1};
    std::unique_ptr<MuxServer> server;
    Run* current = nullptr;
    boost::asio::ip::udp::socket udp_echo{io};
    std::array<std::uint8_t, 65536> datagram{};
};

// One input: the client, the targets, the answers held back; the carrier the server made.
struct Run {
    Run(const Input& input, World& world)
        : input(input), world(world), io(world.io), server(*world.server), before(server.stats()) {
        CarrierOptions carrier;
        if (input.small_windows) {
            carrier.initial_window = 4096;
            carrier.max_window = 16384;
            carrier.session_cap = 8192;
        }
        if (input.few_streams) carrier.max_streams = 4;
        MuxServerInspector::configure(server, carrier, policy);
        world.current = this;
    }

    ~Run() {
        // The server's carrier first (its streams fail), then the openings that never got an
        // answer, then the client (a handshake still reading AUTH meets its end) and targets.
        MuxServerInspector::close_carrier(server, carrier.lock());
        for (auto& done : hanging_dials)
            boost::asio::post(io, [this, done = std::move(done)] {
                done(boost::asio::error::operation_aborted, tcp::socket(io), {}, "cancelled");
            });
        for (auto& done : hanging_lookups)
            boost::asio::post(
                io, [done = std::move(done)] { done(boost::asio::error::operation_aborted, {}); });
        hanging_dials.clear();
        hanging_lookups.clear();
        if (client) client->tls->close();
        for (auto& target : targets) {
            boost::system::error_code ignored;
            target->socket.close(ignored);
        }
        settle();
        // Nothing of this input is left: no timer or socket wait pending, and the carrier
        // with all it held is freed (a cycle of owners would keep it).
        check(io.stopped());
        check(carrier.expired());
        check(MuxServerInspector::empty(server));
        world.current = nullptr;
    }

    // Runs every handler that is ready, and what they make ready, until nothing is: no
    // timer is waited for. Work that never ends on its own is a livelock: a finding.
    void settle() {
        std::size_t handlers = 0;
        for (;;) {
            io.restart();
            const std::size_t n = io.poll();
            if (n == 0 && !world.echo_datagrams()) return;
            handlers += n;
            check(handlers < kMaxHandlersPerStep);
        }
    }

    void step_checks() {
        MuxServerInspector::check_server(server);
        if (input.auth != Input::Auth::valid)
            check(server.stats().authenticated == before.authenticated);
    }

    void lookup(const std::string& name, AddressCallback done) {
        // The name's last byte picks the answer.
        const auto ip = [](const char* text) { return *IpAddress::parse(text); };
        switch (static_cast<std::uint8_t>(name.back()) % 5) {
            case 0:
                return boost::asio::post(
                    io, [done = std::move(done)] { done(boost::asio::error::host_not_found, {}); });
            case 1:
                return boost::asio::post(
                    io, [done = std::move(done), a = ip("127.255.255.1")] { done({}, {a}); });
            case 2:
                return boost::asio::post(io, [done = std::move(done), a = ip("::1"),
                                              b = ip("10.0.0.1"), c = ip("::ffff:127.255.255.2")] {
                    done({}, {a, b, c});
                });
            case 3:
                return boost::asio::post(io, [done = std::move(done)] { done({}, {}); });
            default:
                hanging_lookups.push_back(std::move(done));  // answered at the end
        }
    }

    void dial(const std::vector<IpAddress>& addresses, std::uint16_t port,
              HappyEyeballsDialer::Handler done) {
        // The server dials only what its policy allows.
        check(!addresses.empty());
        for (const auto& address : addresses) check(!policy.why_denied(address));
        const auto fail = [&](boost::asio::error::basic_errors error) {
            boost::asio::post(io, [this, done = std::move(done), error] {
                done(make_error_code(error), tcp::socket(io), {}, "connect: failed");
            });
        };
        // The port picks how the target behaves.
        switch (port % 8) {
            case 0:
                return fail(boost::asio::error::connection_refused);
            case 4:
                return fail(boost::asio::error::host_unreachable);
            case 7:
                return fail(boost::asio::error::timed_out);
            case 3:
                hanging_dials.push_back(std::move(done));  // answered at the end
                return;
            default:
                break;
        }
        int fds[2];
        check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
        tcp::socket server_end(io);
        tcp::socket target_end(io);
        server_end.assign(tcp::v4(), fds[0]);
        target_end.assign(tcp::v4(), fds[1]);
        const auto kind = port % 8 == 2   ? TargetEnd::Kind::sink
                          : port % 8 == 5 ? TargetEnd::Kind::read_once
                                          : TargetEnd::Kind::echo;
        if (kind == TargetEnd::Kind::sink) {
            // A small send buffer: the relay's writes to a target that never reads back up
            // into the stream's window soon.
            const int size = 4096;
            setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
        }
        if (port % 8 == 6) {
            target_end.close();  // gone at once: the relay meets an end on both sides
        } else {
            auto target = std::make_shared<TargetEnd>(std::move(target_end), kind, port - port % 8);
            targets.push_back(target);
            target->start();
        }
        boost::asio::post(io, [done = std::move(done), socket = std::move(server_end),
                               address = addresses.front()]() mutable {
            done({}, std::move(socket), address, "");
        });
    }

    void go() {
        int fds[2];
        check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
        tcp::socket server_end(io);
        tcp::socket client_end(io);
        server_end.assign(tcp::v4(), fds[0]);
        client_end.assign(tcp::v4(), fds[1]);
        MuxServerInspector::accept(server, std::move(server_end));
        client = std::make_shared<Client>(std::move(client_end));
        client->framer = &framer;
        client->handshake();
        settle();
        check(client->handshaken);

        Key binding{};
        check(exporter_binding(client->tls->native_handle(), binding));
        const Key key = auth_key(kPassword);
        client->expected_server_proof = server_proof(key, binding);
        if (input.client_reads) client->read();
        if (input.auth != Input::Auth::none) {
            Key proof = client_proof(key, binding);
            if (input.auth == Input::Auth::wrong_proof) proof[input.flip] ^= 1;
            std::vector<std::uint8_t> auth{kAuthVersion,
                                           static_cast<std::uint8_t>(input.padding >> 8),
                                           static_cast<std::uint8_t>(input.padding & 0xff)};
            auth.insert(auth.end(), proof.begin(), proof.end());
            auth.resize(auth.size() + input.padding, 0);
            client->authenticated_expected = input.auth == Input::Auth::valid;
            client->send(auth);
            settle();
            step_checks();
            // The AUTH is judged as soon as it is all there.
            if (input.auth == Input::Auth::valid) {
                check(server.stats().authenticated == before.authenticated + 1);
                carrier = MuxServerInspector::carrier(server);
                check(carrier.lock() != nullptr);
            } else {
                check(server.stats().auth_failed == before.auth_failed + 1);
                check(MuxServerInspector::empty(server));
            }
        }

        if (input.repeated) {
            // Whole copies of the rest per write, about 64 KiB at a time.
            const std::size_t per_write =
                std::clamp<std::size_t>(65536 / input.rest.size(), 1, input.repeats);
            std::vector<std::uint8_t> chunk;
            for (std::size_t i = 0; i < per_write; ++i)
                chunk.insert(chunk.end(), input.rest.begin(), input.rest.end());
            for (std::size_t done = 0; done < input.repeats; done += per_write) deliver(chunk);
        } else {
            const std::size_t step = input.chunk == 0 ? input.rest.size() : input.chunk;
            for (std::size_t at = 0; at < input.rest.size(); at += step)
                deliver(input.rest.subspan(at, std::min(step, input.rest.size() - at)));
        }
        // PINGs that came late get their PONG too.
        answer_pings();
        settle();
        step_checks();
    }

    void deliver(std::span<const std::uint8_t> bytes) {
        answer_pings();
        framer.feed(bytes);
        client->send(bytes);
        settle();
        step_checks();
    }

    // The server's PINGs (the first right after AUTH_OK: its round-trip sample, which window
    // growth needs) are answered as a client would, where a frame may go.
    void answer_pings() {
        if (client->pings.empty() || !framer.at_boundary()) return;
        std::vector<std::uint8_t> pongs;
        for (const auto& ping : client->pings) append_pong(pongs, ping);
        client->pings.clear();
        client->send(pongs);
    }

    const Input& input;
    World& world;
    boost::asio::io_context& io;
    MuxServer& server;
    const MuxServer::Stats before;
    const TargetPolicy policy{!input.strict_policy, deny_all_but_a_loopback_corner()};
    Framer framer;
    std::weak_ptr<MuxCarrier> carrier;
    std::vector<std::shared_ptr<TargetEnd>> targets;
    std::vector<HappyEyeballsDialer::Handler> hanging_dials;
    std::vector<AddressCallback> hanging_lookups;
    std::shared_ptr<Client> client;
};

void World::lookup(const std::string& name, AddressCallback done) {
    current->lookup(name, std::move(done));
}

void World::dial(const std::vector<IpAddress>& addresses, std::uint16_t port,
                 HappyEyeballsDialer::Handler done) {
    current->dial(addresses, port, std::move(done));
}

World& world() {
    static World instance;
    return instance;
}

}  // namespace

}  // namespace shunt::outbound::mux

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    if (std::getenv("SHUNT_FUZZ_LOG") == nullptr) spdlog::set_level(spdlog::level::off);
    signal(SIGPIPE, SIG_IGN);
    // A network namespace of our own (root only): whatever the policy lets through has no
    // route out, not even to the host's loopback services.
    // Its loopback is down until brought up: up, for the harness's UDP echo.
    if (unshare(CLONE_NEWNET) == 0) {
        const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        ifreq request{};
        std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
        if (fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &request) == 0) {
            request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
            ioctl(fd, SIOCSIFFLAGS, &request);
        }
        if (fd >= 0) close(fd);
    }
    shunt::outbound::mux::world();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const shunt::outbound::mux::Input input(data, size);
    shunt::outbound::mux::Run run(input, shunt::outbound::mux::world());
    run.go();
    return 0;
}
