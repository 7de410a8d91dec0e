// The layers of docs/architecture.md, enforced: a source file may include headers of its
// own component and of components in lower layers, never of a layer above it or of
// another component in its own layer. A folder that belongs to no component fails too, so
// a new folder has to be placed in the picture before it can be built.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Component {
    std::string_view name;
    int layer;  // lower layers are included by higher ones, never the other way
    std::vector<std::string_view> folders;
};

// Bottom up. Keep in step with docs/architecture.md and the root CMakeLists.txt.
const std::vector<Component>& components() {
    static const std::vector<Component> table = {
        {"base", 0, {"base/"}},
        {"net", 1, {"net/"}},
        {"rule language", 2, {"rules/parse/", "rules/match/"}},
        {"config", 3, {"config/"}},
        {"rule engine", 4, {"rules/engine/", "rules/geo/", "rules/process/"}},
        {"dns", 4, {"dns/"}},
        {"outbound", 4, {"outbound/"}},
        {"flow", 5, {"flow/"}},
        {"ebpf", 5, {"ebpf/"}},
        {"netstack", 6, {"netstack/"}},
        {"api", 6, {"api/"}},
        {"app", 7, {"app/"}},
    };
    return table;
}

bool is_source(const fs::path& path) {
    const auto ext = path.extension();
    return ext == ".cpp" || ext == ".hpp" || ext == ".h" || ext == ".c";
}

// The top-level folders of the source tree: every folder under `root` that holds sources,
// but the ones that are not part of shunt's libraries. A new folder is one of them at once,
// so it fails until the table places it.
std::vector<std::string> project_folders(const fs::path& root) {
    static const std::vector<std::string_view> not_libraries = {
        "tests", "bench", "cmake", "scripts", "docs", "examples", "ebpf"};
    std::vector<std::string> folders;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root, ec)) {
        const std::string name = entry.path().filename().string();
        if (!entry.is_directory() || name.starts_with(".") || name.starts_with("build") ||
            std::find(not_libraries.begin(), not_libraries.end(), name) != not_libraries.end())
            continue;
        bool has_sources = false;
        for (auto it = fs::recursive_directory_iterator(
                 entry.path(), fs::directory_options::skip_permission_denied, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            if (it->is_regular_file() && is_source(it->path())) {
                has_sources = true;
                break;
            }
        }
        if (has_sources) folders.push_back(name + "/");
    }
    return folders;
}

const Component* component_of(std::string_view path) {
    for (const auto& component : components())
        for (std::string_view folder : component.folders)
            if (path.starts_with(folder)) return &component;
    return nullptr;
}

// An include of one of our folders or components (an include of "lwip/tcp.h" is not).
bool is_project_path(std::string_view path, const std::vector<std::string>& folders) {
    if (component_of(path) != nullptr) return true;
    for (const auto& top : folders)
        if (path.starts_with(top)) return true;
    return false;
}

struct Violation {
    std::string file;
    int line = 0;
    std::string message;
};

// Every include in the source folders under `root` checked against the table.
std::vector<Violation> find_layer_violations(const fs::path& root) {
    static const std::regex include_line(R"(^\s*#\s*include\s*"([^"]+)\")");
    std::vector<Violation> found;
    const auto folders = project_folders(root);
    std::vector<fs::path> files;
    for (const auto& folder : folders) {
        std::error_code ec;
        for (auto it = fs::recursive_directory_iterator(
                 root / folder, fs::directory_options::skip_permission_denied, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            if (it->is_regular_file() && is_source(it->path())) files.push_back(it->path());
        }
    }
    for (const auto& path : files) {
        const std::string file = fs::relative(path, root).generic_string();
        if (file.starts_with("netstack/lwip_port/")) continue;  // part of lwIP's build
        const Component* own = component_of(file);
        if (own == nullptr) {
            found.push_back({file, 0, "in no layer of docs/architecture.md"});
            continue;
        }
        std::ifstream in(path);
        std::string text;
        for (int line = 1; std::getline(in, text); ++line) {
            std::smatch m;
            if (!std::regex_search(text, m, include_line)) continue;
            const std::string included = m[1];
            if (!is_project_path(included, folders)) continue;
            const Component* other = component_of(included);
            if (other == nullptr) {
                found.push_back({file, line, included + " is in no layer"});
            } else if (other != own && other->layer >= own->layer) {
                found.push_back({file, line,
                                 std::string(own->name) + " (layer " + std::to_string(own->layer) +
                                     ") includes " + included + " of " + std::string(other->name) +
                                     " (layer " + std::to_string(other->layer) + ")"});
            }
        }
    }
    return found;
}

std::string format(const std::vector<Violation>& violations) {
    std::string out;
    for (const auto& v : violations)
        out += v.file + ":" + std::to_string(v.line) + ": " + v.message + "\n";
    return out;
}

TEST(Layering, EveryIncludePointsDown) {
    const auto violations = find_layer_violations(SHUNT_SOURCE_DIR);
    EXPECT_TRUE(violations.empty()) << format(violations);
}

class LayeringCheck : public ::testing::Test {
  protected:
    void SetUp() override {
        root_ = fs::temp_directory_path() /
                ("shunt-layering-" + std::to_string(::getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(root_);
    }
    void TearDown() override { fs::remove_all(root_); }

    void write(const std::string& path, const std::string& text) {
        fs::create_directories((root_ / path).parent_path());
        std::ofstream(root_ / path) << text;
    }

    fs::path root_;
};

TEST_F(LayeringCheck, AcceptsIncludesOfLowerLayersAndOfItsOwnComponent) {
    write("netstack/tcp/a.cpp",
          "#include \"netstack/tcp/a.hpp\"\n#include \"flow/b.hpp\"\n#include \"net/c.hpp\"\n"
          "#include <lwip/tcp.h>\n#include \"lwip/tcp.h\"\n");
    write("rules/engine/d.cpp", "#include \"rules/parse/e.hpp\"\n#include \"config/f.hpp\"\n");
    EXPECT_TRUE(find_layer_violations(root_).empty()) << format(find_layer_violations(root_));
}

TEST_F(LayeringCheck, ReportsAnIncludeOfAHigherLayerWithItsLine) {
    write("dns/server/a.cpp", "#include \"dns/server/a.hpp\"\n\n#include \"netstack/tcp/b.hpp\"\n");
    const auto found = find_layer_violations(root_);
    ASSERT_EQ(found.size(), 1U) << format(found);
    EXPECT_EQ(found[0].file, "dns/server/a.cpp");
    EXPECT_EQ(found[0].line, 3);
    EXPECT_NE(found[0].message.find("netstack/tcp/b.hpp"), std::string::npos);
}

TEST_F(LayeringCheck, ReportsAPeerOfTheSameLayerAndTheRuleLanguageReachingTheEngine) {
    write("dns/a.cpp", "#include \"outbound/b.hpp\"\n");
    write("rules/parse/c.cpp", "#include \"rules/engine/d.hpp\"\n");
    write("config/e.cpp", "#include \"rules/engine/f.hpp\"\n");
    EXPECT_EQ(find_layer_violations(root_).size(), 3U) << format(find_layer_violations(root_));
}

TEST_F(LayeringCheck, ReportsANewTopLevelFolderAndItsIncluders) {
    write("core/a.cpp", "int a;\n");
    write("app/b.cpp", "#include \"core/a.hpp\"\n");
    write("tests/c.cpp", "#include \"core/a.hpp\"\n");  // tests may include anything
    EXPECT_EQ(find_layer_violations(root_).size(), 2U) << format(find_layer_violations(root_));
}

TEST_F(LayeringCheck, ReportsAFolderInNoLayer) {
    write("rules/newthing/a.cpp", "int a;\n");
    write("flow/b.cpp", "#include \"rules/newthing/a.hpp\"\n");
    EXPECT_EQ(find_layer_violations(root_).size(), 2U) << format(find_layer_violations(root_));
}

}  // namespace
