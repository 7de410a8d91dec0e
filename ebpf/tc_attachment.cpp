#include "ebpf/tc_attachment.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <net/if.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ebpf/bypass_program.hpp"

namespace shunt::ebpf {

namespace {

bpf_tc_hook ingress_of(int ifindex) {
    bpf_tc_hook hook{};
    hook.sz = sizeof hook;
    hook.ifindex = ifindex;
    hook.attach_point = BPF_TC_INGRESS;
    return hook;
}

bpf_tc_opts our_slot() {
    bpf_tc_opts opts{};
    opts.sz = sizeof opts;
    opts.handle = kTcHandle;
    opts.priority = kTcPriority;
    return opts;
}

// True unless the program has a name we can read that is not ours.
bool ours(std::uint32_t program_id) {
    const int fd = bpf_prog_get_fd_by_id(program_id);
    if (fd < 0) return true;  // EPERM without CAP_SYS_ADMIN: handle and priority decide
    bpf_prog_info info{};
    std::uint32_t length = sizeof info;
    const int rc = bpf_obj_get_info_by_fd(fd, &info, &length);
    close(fd);
    return rc != 0 || std::strncmp(info.name, kTcProgramName, sizeof info.name) == 0;
}

}  // namespace

void TcAttachment::attach(int ifindex, int program_fd) {
    bpf_tc_hook hook = ingress_of(ifindex);
    // EEXIST: the clsact qdisc is there already (ours from before, or someone else's).
    const int created = bpf_tc_hook_create(&hook);
    if (created != 0 && created != -EEXIST) throw EbpfError("create the clsact qdisc", -created);
    bpf_tc_opts opts = our_slot();
    opts.prog_fd = program_fd;
    opts.flags = BPF_TC_F_REPLACE;
    const int rc = bpf_tc_attach(&hook, &opts);
    if (rc != 0) throw EbpfError("attach the tc program", -rc);
}

bool TcAttachment::detach(int ifindex) {
    if (!attached_program(ifindex)) return false;
    const bpf_tc_hook hook = ingress_of(ifindex);
    const bpf_tc_opts opts = our_slot();
    return bpf_tc_detach(&hook, &opts) == 0;
}

std::optional<std::uint32_t> TcAttachment::attached_program(int ifindex) {
    const bpf_tc_hook hook = ingress_of(ifindex);
    bpf_tc_opts opts = our_slot();
    if (bpf_tc_query(&hook, &opts) != 0) return std::nullopt;
    return opts.prog_id;
}

std::vector<std::string> TcAttachment::remove_leftovers() {
    std::vector<std::string> cleaned;
    struct if_nameindex* links = ::if_nameindex();
    if (links == nullptr) return cleaned;
    for (const struct if_nameindex* entry = links; entry->if_index != 0; ++entry) {
        const int ifindex = static_cast<int>(entry->if_index);
        const auto program = attached_program(ifindex);
        if (!program || !ours(*program)) continue;
        if (detach(ifindex)) cleaned.emplace_back(entry->if_name);
    }
    if_freenameindex(links);
    return cleaned;
}

}  // namespace shunt::ebpf
