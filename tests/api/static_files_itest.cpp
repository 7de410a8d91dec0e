// /ui/ against curl on loopback (docs/api.md §2.9): a dashboard directory's files with
// their types and without the secret, index.html for directories, and every way of
// naming a file outside the directory refused — "..", "%2e%2e", "%2f", double encoding,
// backslashes, absolute paths, a symlink out — while the built-in dashboard is the page
// compiled into shunt.
#include "api/static_files.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "api/builtin_dashboard.hpp"
#include "tests/support/api_server_fixture.hpp"

namespace shunt::api {
namespace {

class StaticFilesTest : public test::ApiServerFixture {
  protected:
    void SetUp() override {
        std::filesystem::create_directories(root_.file("ui/assets"));
        std::filesystem::create_directories(root_.file("ui/empty"));
        root_.write("ui/index.html", "<html>dashboard</html>");
        root_.write("ui/assets/app.js", "console.log(1)");
        root_.write("ui/assets/index.html", "assets index");
        root_.write("secret.txt", "outside");
        std::filesystem::create_symlink(root_.file("secret.txt"), root_.file("ui/link.txt"));
        std::filesystem::create_symlink("/etc", root_.file("ui/etc"));
    }
    void serve(std::string directory) {
        start({}, [&](ApiRouter& router) { add_static_file_endpoints(router, directory); });
    }
    // The status curl saw for a path sent as is (no dot-segment folding by curl).
    std::string status(const std::string& path) {
        auto result = curl({"--path-as-is", "-o", "/dev/null", url(path)});
        return result.out.substr(result.out.rfind('\n') + 1);
    }
    test::TempDir root_;
};

TEST_F(StaticFilesTest, ServesTheDirectoryWithoutTheSecret) {
    serve(root_.file("ui"));
    EXPECT_EQ(curl({url("/ui/")}).out, "<html>dashboard</html>\n200");
    EXPECT_EQ(curl({url("/ui/index.html")}).out, "<html>dashboard</html>\n200");
    EXPECT_EQ(curl({url("/ui/assets/app.js")}).out, "console.log(1)\n200");
    EXPECT_EQ(curl({url("/ui/assets/")}).out, "assets index\n200");
    EXPECT_EQ(curl({url("/ui/assets")}).out, "assets index\n200");
    const auto headers =
        test::run_command({"curl", "-s", "-I", "-X", "GET", url("/ui/assets/app.js")});
    EXPECT_NE(headers.out.find("Content-Type: text/javascript; charset=utf-8"), std::string::npos)
        << headers.out;
    const auto redirect = test::run_command({"curl", "-s", "-i", url("/ui")});
    EXPECT_NE(redirect.out.find("HTTP/1.1 307"), std::string::npos) << redirect.out;
    EXPECT_NE(redirect.out.find("Location: /ui/"), std::string::npos) << redirect.out;
    EXPECT_EQ(status("/ui/empty/"), "404") << "a directory without index.html: no listing";
    EXPECT_EQ(status("/ui/missing.js"), "404");
}

TEST_F(StaticFilesTest, NothingOutsideTheDirectoryIsReachable) {
    serve(root_.file("ui"));
    for (const char* path :
         {"/ui/../secret.txt", "/ui/assets/../../secret.txt", "/ui/%2e%2e/secret.txt",
          "/ui/%2E%2E/secret.txt", "/ui/.%2e/secret.txt", "/ui/..%2fsecret.txt",
          "/ui/%2e%2e%2fsecret.txt", "/ui/%252e%252e/secret.txt", "/ui/%252e%252e%252fsecret.txt",
          "/ui/..%5csecret.txt", "/ui/..\\secret.txt", "/ui//etc/passwd", "/ui/%2fetc%2fpasswd",
          "/ui/./index.html", "/ui/index.html%00.js", "/ui/link.txt", "/ui/etc/passwd",
          "/ui/etc/"}) {
        EXPECT_EQ(status(path), "404") << path;
    }
    // What should work still does (a refused variant proves nothing by itself).
    EXPECT_EQ(status("/ui/assets/app.js"), "200");
}

TEST_F(StaticFilesTest, WithoutADirectoryTheBuiltInDashboardIsServed) {
    serve("");
    const auto page = curl({url("/ui/")});
    EXPECT_EQ(page.out, std::string(builtin_dashboard()) + "\n200");
    EXPECT_NE(page.out.find("<title>shunt</title>"), std::string::npos);
    EXPECT_LT(builtin_dashboard().size(), 100u * 1024) << "the issue's budget";
    EXPECT_EQ(status("/ui/index.html"), "200");
    EXPECT_EQ(status("/ui/other.js"), "404");
    // It asks for nothing outside shunt: no http(s) URL in the page but its own.
    EXPECT_EQ(builtin_dashboard().find("https://"), std::string_view::npos);
    EXPECT_EQ(builtin_dashboard().find("src=\"http"), std::string_view::npos);
}

TEST(StaticFileTypes, ByExtension) {
    EXPECT_EQ(content_type_for("a.html"), "text/html; charset=utf-8");
    EXPECT_EQ(content_type_for("a.css"), "text/css; charset=utf-8");
    EXPECT_EQ(content_type_for("a.woff2"), "font/woff2");
    EXPECT_EQ(content_type_for("a.svg"), "image/svg+xml");
    EXPECT_EQ(content_type_for("README"), "application/octet-stream");
}

}  // namespace
}  // namespace shunt::api
