// A minimal rtnetlink client: build a request (header, fixed struct, attributes), send
// it, and wait for the kernel's acknowledgement or collect the answers of a dump.
//
// shunt configures its TUN device, routes and rules itself instead of running `ip`: no
// dependency on iproute2 being installed (routers), no parsing of another program's
// output, and the kernel's errno comes back for each step so errors can name it.
#pragma once

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace shunt::netstack {

// One netlink message under construction, or a copy of one received from the kernel.
class NetlinkMessage {
  public:
    // `header` is the family's fixed struct (ifinfomsg, ifaddrmsg, rtmsg, fib_rule_hdr).
    template <typename Header>
    NetlinkMessage(std::uint16_t type, std::uint16_t flags, const Header& header) {
        start(type, flags, &header, sizeof(header));
    }
    // Copies a received message (used to delete exactly what a dump returned).
    explicit NetlinkMessage(const nlmsghdr& received);

    void add_attribute(std::uint16_t type, const void* data, std::size_t size);
    void add_u8(std::uint16_t type, std::uint8_t value) { add_attribute(type, &value, 1); }
    void add_u32(std::uint16_t type, std::uint32_t value) { add_attribute(type, &value, 4); }
    // NUL-terminated, as the kernel expects for names.
    void add_string(std::uint16_t type, std::string_view value);

    nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(buffer_.data()); }
    const nlmsghdr* header() const { return reinterpret_cast<const nlmsghdr*>(buffer_.data()); }
    // The fixed struct after the netlink header.
    template <typename Header>
    Header* payload() {
        return reinterpret_cast<Header*>(buffer_.data() + NLMSG_HDRLEN);
    }
    void set_type(std::uint16_t type) { header()->nlmsg_type = type; }
    void set_flags(std::uint16_t flags) { header()->nlmsg_flags = flags; }
    std::span<const std::uint8_t> bytes() const { return {buffer_.data(), buffer_.size()}; }

  private:
    void start(std::uint16_t type, std::uint16_t flags, const void* header, std::size_t size);

    // operator new aligns the storage, and every part is padded to NLMSG_ALIGN/RTA_ALIGN,
    // so the casts above see aligned structs.
    std::vector<std::uint8_t> buffer_;
};

// Attributes of a received message, by type (the last one wins for repeated types).
class NetlinkAttributes {
  public:
    // `fixed_size` is the size of the family's struct that precedes the attributes.
    NetlinkAttributes(const nlmsghdr& message, std::size_t fixed_size);

    bool has(std::uint16_t type) const;
    std::span<const std::uint8_t> get(std::uint16_t type) const;
    // Zero when absent or too short.
    std::uint32_t u32(std::uint16_t type) const;
    std::uint8_t u8(std::uint16_t type) const;
    // Empty when absent; stops at the first NUL.
    std::string string(std::uint16_t type) const;

  private:
    std::vector<std::span<const std::uint8_t>> by_type_;
};

class NetlinkSocket {
  public:
    // Opens a NETLINK_ROUTE socket in the calling thread's network namespace.
    NetlinkSocket();
    NetlinkSocket(const NetlinkSocket&) = delete;
    NetlinkSocket& operator=(const NetlinkSocket&) = delete;
    ~NetlinkSocket();

    // Sends `message` with NLM_F_ACK and waits for the acknowledgement.
    // Returns 0 on success, else the positive errno the kernel reported.
    int request(NetlinkMessage& message);
    // request(), throwing std::system_error("<what>: <strerror>") on failure.
    void request_or_throw(NetlinkMessage& message, const std::string& what);
    // Sends `message` with NLM_F_DUMP and calls `each` for every answer. Throws
    // std::system_error naming `what` on failure.
    void dump(NetlinkMessage& message, const std::string& what,
              const std::function<void(const nlmsghdr&)>& each);

  private:
    void send(NetlinkMessage& message, const std::string& what);
    // Receives one datagram into buffer_; returns its length.
    std::size_t receive(const std::string& what);

    int fd_ = -1;
    std::uint32_t next_sequence_ = 1;
    std::vector<std::uint8_t> buffer_;
};

}  // namespace shunt::netstack
