// ResolvedControl over D-Bus (sd-bus from libsystemd): org.freedesktop.resolve1.Manager's
// SetLink* methods, its Domains property, and org.freedesktop.DBus's NameOwnerChanged
// signal for restarts. Calls are synchronous with a short timeout: they happen at start,
// at stop and when resolved restarts, and resolved answers in microseconds.
#ifdef SHUNT_HAVE_SDBUS

#include <sys/socket.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>

#include <cstring>
#include <optional>
#include <stdexcept>

#include "netstack/system_dns/resolved_control.hpp"

namespace shunt::netstack {

namespace {

constexpr const char* kService = "org.freedesktop.resolve1";
constexpr const char* kPath = "/org/freedesktop/resolve1";
constexpr const char* kManager = "org.freedesktop.resolve1.Manager";
constexpr std::uint64_t kCallTimeoutUsec = 5'000'000;

// Owns one reference of an sd-bus object.
struct MessageRef {
    sd_bus_message* message = nullptr;
    ~MessageRef() { sd_bus_message_unref(message); }
};
struct ErrorRef {
    sd_bus_error error = SD_BUS_ERROR_NULL;
    ~ErrorRef() { sd_bus_error_free(&error); }
};

std::string describe(int r, const sd_bus_error& error) {
    if (sd_bus_error_is_set(&error)) return error.message ? error.message : error.name;
    return std::strerror(-r);
}

class ResolvedBus final : public ResolvedControl {
  public:
    ResolvedBus(boost::asio::any_io_executor executor, sd_bus* bus)
        : executor_(std::move(executor)), bus_(bus) {}
    ~ResolvedBus() override {
        if (watcher_) {
            boost::system::error_code ignored;
            watcher_->cancel(ignored);
            watcher_->close(ignored);
        }
        sd_bus_slot_unref(restart_match_);
        sd_bus_flush_close_unref(bus_);
    }

    const char* transport() const override { return "D-Bus"; }

    bool available() override {
        MessageRef reply;
        ErrorRef error;
        const int r = sd_bus_call_method(bus_, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                         "org.freedesktop.DBus", "NameHasOwner", &error.error,
                                         &reply.message, "s", kService);
        int has_owner = 0;
        return r >= 0 && sd_bus_message_read(reply.message, "b", &has_owner) >= 0 && has_owner;
    }

    void set_link(const ResolvedLinkId& link, const Endpoint& server) override {
        set_dns(link, server);
        // "." as a routing-only domain ("~."): every name goes to this link.
        call("SetLinkDomains", link,
             [](sd_bus_message* m) { return sd_bus_message_append(m, "a(sb)", 1, ".", 1); });
        call("SetLinkDefaultRoute", link,
             [](sd_bus_message* m) { return sd_bus_message_append(m, "b", 1); });
        for (const char* method :
             {"SetLinkLLMNR", "SetLinkMulticastDNS", "SetLinkDNSSEC", "SetLinkDNSOverTLS"})
            call(method, link,
                 [](sd_bus_message* m) { return sd_bus_message_append(m, "s", "no"); });
    }

    void revert_link(const ResolvedLinkId& link) noexcept override {
        try {
            call("RevertLink", link, [](sd_bus_message*) { return 0; });
        } catch (const std::exception& e) {
            spdlog::warn("{}", e.what());
        }
    }

    std::vector<std::string> other_catch_all_links(const ResolvedLinkId& link) override {
        std::vector<std::string> others;
        MessageRef reply;
        ErrorRef error;
        if (sd_bus_get_property(bus_, kService, kPath, kManager, "Domains", &error.error,
                                &reply.message, "a(isb)") < 0)
            return others;
        if (sd_bus_message_enter_container(reply.message, 'a', "(isb)") < 0) return others;
        int ifindex = 0, routing_only = 0;
        const char* domain = nullptr;
        while (sd_bus_message_read(reply.message, "(isb)", &ifindex, &domain, &routing_only) > 0) {
            if (ifindex == link.ifindex || !domain || std::strcmp(domain, ".") != 0) continue;
            others.push_back(ifindex == 0 ? std::string("the global settings (resolved.conf)")
                                          : "link " + std::to_string(ifindex));
        }
        return others;
    }

    bool watch_restarts(std::function<void()> restarted) override {
        restarted_ = std::move(restarted);
        const int r = sd_bus_match_signal(bus_, &restart_match_, "org.freedesktop.DBus",
                                          "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                          "NameOwnerChanged", &ResolvedBus::on_owner_changed, this);
        if (r < 0) {
            spdlog::warn("system DNS: cannot watch systemd-resolved restarts: {}",
                         std::strerror(-r));
            return false;
        }
        // The bus fd is sd-bus's: asio waits on a duplicate of it.
        const int fd = ::dup(sd_bus_get_fd(bus_));
        if (fd < 0) return false;
        watcher_.emplace(executor_, fd);
        wait_for_messages();
        return true;
    }

  private:
    template <typename Append>
    void call(const char* method, const ResolvedLinkId& link, Append append) {
        MessageRef request, reply;
        ErrorRef error;
        int r = sd_bus_message_new_method_call(bus_, &request.message, kService, kPath, kManager,
                                               method);
        if (r >= 0) r = sd_bus_message_append(request.message, "i", link.ifindex);
        if (r >= 0) r = append(request.message);
        if (r >= 0)
            r = sd_bus_call(bus_, request.message, kCallTimeoutUsec, &error.error, &reply.message);
        if (r < 0)
            throw std::runtime_error(std::string("system DNS: systemd-resolved ") + method +
                                     " on " + link.name + ": " + describe(r, error.error));
    }

    // One (family, address[, port, server name]) entry of a DNS server array.
    static int append_server(sd_bus_message* m, const Endpoint& server, bool with_port) {
        const bool v4 = server.address.is_v4();
        int r = sd_bus_message_open_container(m, 'a', with_port ? "(iayqs)" : "(iay)");
        if (r >= 0) r = sd_bus_message_open_container(m, 'r', with_port ? "iayqs" : "iay");
        if (r >= 0) r = sd_bus_message_append(m, "i", v4 ? AF_INET : AF_INET6);
        if (r >= 0)
            r = sd_bus_message_append_array(m, 'y', server.address.bytes().data(), v4 ? 4 : 16);
        if (r >= 0 && with_port) r = sd_bus_message_append(m, "qs", server.port, "");
        if (r >= 0) r = sd_bus_message_close_container(m);
        if (r >= 0) r = sd_bus_message_close_container(m);
        return r;
    }

    // SetLinkDNSEx takes a port (systemd 246+); an older resolved gets SetLinkDNS when the
    // port is 53 and a clear error otherwise.
    void set_dns(const ResolvedLinkId& link, const Endpoint& server) {
        try {
            call("SetLinkDNSEx", link,
                 [&](sd_bus_message* m) { return append_server(m, server, true); });
        } catch (const std::runtime_error& e) {
            if (std::strstr(e.what(), "Unknown method") == nullptr || server.port != 53) throw;
            call("SetLinkDNS", link,
                 [&](sd_bus_message* m) { return append_server(m, server, false); });
        }
    }

    void wait_for_messages() {
        watcher_->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                             [this](const boost::system::error_code& ec) {
                                 if (ec) return;
                                 int r = 0;
                                 while ((r = sd_bus_process(bus_, nullptr)) > 0) {
                                 }
                                 if (r < 0) {
                                     spdlog::warn(
                                         "system DNS: D-Bus connection lost ({}); "
                                         "resolved restarts are no longer watched",
                                         std::strerror(-r));
                                     return;
                                 }
                                 wait_for_messages();
                             });
    }

    static int on_owner_changed(sd_bus_message* message, void* self, sd_bus_error*) {
        const char *name = nullptr, *old_owner = nullptr, *new_owner = nullptr;
        if (sd_bus_message_read(message, "sss", &name, &old_owner, &new_owner) < 0) return 0;
        if (!name || std::strcmp(name, kService) != 0 || !new_owner || !*new_owner) return 0;
        auto* bus = static_cast<ResolvedBus*>(self);
        // Not from inside sd_bus_process: the handler makes calls of its own.
        boost::asio::post(bus->executor_, [bus] {
            if (bus->restarted_) bus->restarted_();
        });
        return 0;
    }

    boost::asio::any_io_executor executor_;
    sd_bus* bus_;
    sd_bus_slot* restart_match_ = nullptr;
    std::function<void()> restarted_;
    std::optional<boost::asio::posix::stream_descriptor> watcher_;
};

}  // namespace

std::unique_ptr<ResolvedControl> make_resolved_control(boost::asio::any_io_executor executor) {
    sd_bus* bus = nullptr;
    // sd_bus_open_system honours DBUS_SYSTEM_BUS_ADDRESS. Without a bus there is no
    // resolved to talk to; resolvectl would fail the same way.
    if (const int r = sd_bus_open_system(&bus); r < 0) {
        spdlog::debug("system DNS: no system D-Bus: {}", std::strerror(-r));
        return make_resolvectl_control();
    }
    return std::make_unique<ResolvedBus>(std::move(executor), bus);
}

}  // namespace shunt::netstack

#endif  // SHUNT_HAVE_SDBUS
