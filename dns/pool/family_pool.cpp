#include "dns/pool/family_pool.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace shunt::dns {

FamilyPool::FamilyPool(const Prefix& range) : range_(range) {
    const std::uint64_t size = range.size();
    if (size < kReservedAddresses + 1)
        throw std::invalid_argument("fake-IP range " + range.to_string() +
                                    " is too small: it needs at least 4 addresses");
    capacity_ = static_cast<std::uint32_t>(std::min(size - kReservedAddresses, kMaxCapacity));
}

std::optional<std::uint32_t> FamilyPool::find(std::string_view name) const {
    return index_.find(name, NameIndex::hash_of(name),
                       [this](std::uint32_t slot) { return name_of(slot); });
}

std::optional<std::uint32_t> FamilyPool::slot_of(const IpAddress& address) const {
    auto offset = range_.offset_of(address);
    if (!offset || *offset < kFirstOffset || *offset - kFirstOffset >= capacity_)
        return std::nullopt;
    return static_cast<std::uint32_t>(*offset - kFirstOffset);
}

std::string_view FamilyPool::name_of(std::uint32_t slot) const {
    const char* stored = slots_[slot].name.get();
    return {stored + 1, static_cast<unsigned char>(stored[0])};
}

void FamilyPool::touch(std::uint32_t slot) {
    if (slot == newest_) return;
    unlink(slot);
    link_newest(slot);
}

namespace {

// Checked before anything changes, so a bad name cannot leave a slot half taken.
void check_name(std::string_view name) {
    if (name.empty() || name.size() > 255)
        throw std::invalid_argument("fake-IP pool: a name must have 1 to 255 bytes");
}

}  // namespace

std::uint32_t FamilyPool::next_slot() const {
    if (slots_.size() < capacity_) return used_slots();
    if (!released_.empty()) return released_.top();
    return oldest_;
}

std::uint32_t FamilyPool::assign_new(std::string_view name) {
    check_name(name);
    const std::uint32_t slot = next_slot();
    if (slot == used_slots()) {
        slots_.emplace_back();
    } else if (!released_.empty() && released_.top() == slot) {
        released_.pop();
    } else {
        unmap(slot);
    }
    map(slot, name, NameIndex::hash_of(name));
    return slot;
}

void FamilyPool::release(std::uint32_t slot) {
    unmap(slot);
    released_.push(slot);
}

void FamilyPool::replay_assign(std::uint32_t slot, std::string_view name) {
    check_name(name);
    ensure_slot(slot);
    const std::uint32_t hash = NameIndex::hash_of(name);
    auto current = index_.find(name, hash, [this](std::uint32_t s) { return name_of(s); });
    if (current == slot) return touch(slot);
    if (current) unmap(*current);
    if (is_mapped(slot)) unmap(slot);
    map(slot, name, hash);
}

void FamilyPool::replay_release(std::uint32_t slot) {
    ensure_slot(slot);
    if (is_mapped(slot)) unmap(slot);
}

void FamilyPool::finish_replay() {
    std::vector<std::uint32_t> holes;
    for (std::uint32_t slot = 0; slot < used_slots(); ++slot)
        if (!is_mapped(slot)) holes.push_back(slot);
    released_ = decltype(released_)(std::greater<>{}, std::move(holes));
}

void FamilyPool::ensure_slot(std::uint32_t slot) {
    if (slot >= slots_.size()) slots_.resize(std::size_t{slot} + 1);
}

void FamilyPool::map(std::uint32_t slot, std::string_view name, std::uint32_t hash) {
    auto stored = std::make_unique_for_overwrite<char[]>(name.size() + 1);
    stored[0] = static_cast<char>(static_cast<unsigned char>(name.size()));
    std::memcpy(stored.get() + 1, name.data(), name.size());
    slots_[slot].name = std::move(stored);
    index_.insert(slot, hash);
    link_newest(slot);
}

void FamilyPool::unmap(std::uint32_t slot) {
    index_.erase(slot, NameIndex::hash_of(name_of(slot)));
    unlink(slot);
    slots_[slot].name.reset();
}

void FamilyPool::link_newest(std::uint32_t slot) {
    Slot& s = slots_[slot];
    s.older = newest_;
    s.newer = kNone;
    if (newest_ != kNone) slots_[newest_].newer = slot;
    newest_ = slot;
    if (oldest_ == kNone) oldest_ = slot;
}

void FamilyPool::unlink(std::uint32_t slot) {
    Slot& s = slots_[slot];
    if (s.older != kNone)
        slots_[s.older].newer = s.newer;
    else
        oldest_ = s.newer;
    if (s.newer != kNone)
        slots_[s.newer].older = s.older;
    else
        newest_ = s.older;
    s.older = s.newer = kNone;
}

}  // namespace shunt::dns
