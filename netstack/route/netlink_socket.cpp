#include "netstack/route/netlink_socket.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace shunt::netstack {

namespace {

// Large enough for any single dump datagram the kernel sends (it sizes them to a page or
// to 32 KiB); MSG_TRUNC below catches the case where it is not.
constexpr std::size_t kReceiveBufferSize = 64 * 1024;

[[noreturn]] void throw_errno(int error, const std::string& what) {
    throw std::system_error(error, std::generic_category(), what);
}

}  // namespace

NetlinkMessage::NetlinkMessage(const nlmsghdr& received) {
    const auto* begin = reinterpret_cast<const std::uint8_t*>(&received);
    buffer_.assign(begin, begin + received.nlmsg_len);
}

void NetlinkMessage::start(std::uint16_t type, std::uint16_t flags, const void* header,
                           std::size_t size) {
    buffer_.assign(NLMSG_SPACE(size), 0);
    nlmsghdr* h = this->header();
    h->nlmsg_len = static_cast<std::uint32_t>(NLMSG_LENGTH(size));
    h->nlmsg_type = type;
    h->nlmsg_flags = flags;
    std::memcpy(buffer_.data() + NLMSG_HDRLEN, header, size);
    h->nlmsg_len = static_cast<std::uint32_t>(buffer_.size());
}

void NetlinkMessage::add_attribute(std::uint16_t type, const void* data, std::size_t size) {
    const std::size_t offset = NLMSG_ALIGN(buffer_.size());
    const std::size_t length = RTA_LENGTH(size);
    buffer_.resize(offset + RTA_ALIGN(length), 0);
    auto* attribute = reinterpret_cast<rtattr*>(buffer_.data() + offset);
    attribute->rta_type = type;
    attribute->rta_len = static_cast<std::uint16_t>(length);
    if (size > 0) std::memcpy(RTA_DATA(attribute), data, size);
    header()->nlmsg_len = static_cast<std::uint32_t>(buffer_.size());
}

void NetlinkMessage::add_string(std::uint16_t type, std::string_view value) {
    std::string terminated(value);
    add_attribute(type, terminated.c_str(), terminated.size() + 1);
}

NetlinkAttributes::NetlinkAttributes(const nlmsghdr& message, std::size_t fixed_size) {
    const std::size_t start = NLMSG_LENGTH(NLMSG_ALIGN(fixed_size));
    if (message.nlmsg_len < start) return;
    const auto* first = reinterpret_cast<const rtattr*>(
        reinterpret_cast<const std::uint8_t*>(&message) + NLMSG_SPACE(fixed_size));
    auto remaining = static_cast<int>(message.nlmsg_len - start);
    for (const rtattr* a = first; RTA_OK(a, remaining); a = RTA_NEXT(a, remaining)) {
        // NLA_F_NESTED / NLA_F_NET_BYTEORDER live in the top bits of the type.
        const std::uint16_t type = a->rta_type & NLA_TYPE_MASK;
        if (type >= by_type_.size()) by_type_.resize(type + 1);
        by_type_[type] = {static_cast<const std::uint8_t*>(RTA_DATA(a)), RTA_PAYLOAD(a)};
    }
}

bool NetlinkAttributes::has(std::uint16_t type) const {
    return type < by_type_.size() && by_type_[type].data() != nullptr;
}

std::span<const std::uint8_t> NetlinkAttributes::get(std::uint16_t type) const {
    return type < by_type_.size() ? by_type_[type] : std::span<const std::uint8_t>{};
}

std::uint32_t NetlinkAttributes::u32(std::uint16_t type) const {
    auto data = get(type);
    std::uint32_t value = 0;
    if (data.size() >= sizeof(value)) std::memcpy(&value, data.data(), sizeof(value));
    return value;
}

std::uint8_t NetlinkAttributes::u8(std::uint16_t type) const {
    auto data = get(type);
    return data.empty() ? 0 : data[0];
}

std::string NetlinkAttributes::string(std::uint16_t type) const {
    auto data = get(type);
    std::string text(reinterpret_cast<const char*>(data.data()), data.size());
    if (auto nul = text.find('\0'); nul != std::string::npos) text.resize(nul);
    return text;
}

NetlinkSocket::NetlinkSocket() : buffer_(kReceiveBufferSize) {
    fd_ = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd_ < 0) throw_errno(errno, "netlink: open NETLINK_ROUTE socket");
    sockaddr_nl local{};
    local.nl_family = AF_NETLINK;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
        const int error = errno;
        ::close(fd_);
        throw_errno(error, "netlink: bind");
    }
}

NetlinkSocket::~NetlinkSocket() {
    if (fd_ >= 0) ::close(fd_);
}

void NetlinkSocket::send(NetlinkMessage& message, const std::string& what) {
    nlmsghdr* header = message.header();
    header->nlmsg_seq = next_sequence_++;
    header->nlmsg_pid = 0;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    const auto bytes = message.bytes();
    ssize_t sent;
    do {
        sent = ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&kernel),
                        sizeof(kernel));
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) throw_errno(errno, what + ": netlink send");
}

std::size_t NetlinkSocket::receive(const std::string& what) {
    for (;;) {
        const ssize_t received = ::recv(fd_, buffer_.data(), buffer_.size(), MSG_TRUNC);
        if (received < 0 && errno == EINTR) continue;
        if (received < 0) throw_errno(errno, what + ": netlink receive");
        if (static_cast<std::size_t>(received) > buffer_.size()) {
            throw_errno(EMSGSIZE, what + ": netlink answer larger than the receive buffer");
        }
        return static_cast<std::size_t>(received);
    }
}

int NetlinkSocket::request(NetlinkMessage& message) {
    message.set_flags(message.header()->nlmsg_flags | NLM_F_REQUEST | NLM_F_ACK);
    send(message, "netlink request");
    const std::uint32_t sequence = message.header()->nlmsg_seq;
    for (;;) {
        auto length = static_cast<int>(receive("netlink request"));
        for (auto* h = reinterpret_cast<nlmsghdr*>(buffer_.data()); NLMSG_OK(h, length);
             h = NLMSG_NEXT(h, length)) {
            // Answers to an earlier request (e.g. a dump cut short by an exception) are
            // skipped by their sequence number.
            if (h->nlmsg_seq != sequence || h->nlmsg_type != NLMSG_ERROR) continue;
            const auto* error = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
            return -error->error;
        }
    }
}

void NetlinkSocket::request_or_throw(NetlinkMessage& message, const std::string& what) {
    if (const int error = request(message); error != 0) throw_errno(error, what);
}

void NetlinkSocket::dump(NetlinkMessage& message, const std::string& what,
                         const std::function<void(const nlmsghdr&)>& each) {
    message.set_flags(NLM_F_REQUEST | NLM_F_DUMP);
    send(message, what);
    const std::uint32_t sequence = message.header()->nlmsg_seq;
    for (;;) {
        auto length = static_cast<int>(receive(what));
        for (auto* h = reinterpret_cast<nlmsghdr*>(buffer_.data()); NLMSG_OK(h, length);
             h = NLMSG_NEXT(h, length)) {
            if (h->nlmsg_seq != sequence) continue;
            if (h->nlmsg_type == NLMSG_DONE) return;
            if (h->nlmsg_type == NLMSG_ERROR) {
                const auto* error = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
                if (error->error == 0) return;
                throw_errno(-error->error, what);
            }
            each(*h);
        }
    }
}

}  // namespace shunt::netstack
