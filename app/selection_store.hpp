// SelectionStore: the user's choices in select groups and GLOBAL, and their pins of
// url-test and fallback groups, kept across restarts in a small JSON file beside the
// fake-IP store (docs/api.md §2.3). Written whole to a temporary file and renamed, so a
// crash leaves the old file or the new one, never half of one. A missing file is no
// choice yet; an unreadable one is logged and ignored (the groups start on their defaults).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"

namespace shunt::app {

using Selections = std::vector<std::pair<std::string, std::string>>;  // group -> member

class SelectionStore {
  public:
    // `path` "" keeps nothing (the fake-IP pool is in memory too).
    explicit SelectionStore(std::string path) : path_(std::move(path)) {}

    // selections.json in the fake-IP store's folder, or "" without a store.
    static std::string path_for(const DnsConfig& dns);

    Selections load() const;
    // Returns false (and logs why) when the file could not be written.
    bool save(const Selections& selections) const;
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

}  // namespace shunt::app
