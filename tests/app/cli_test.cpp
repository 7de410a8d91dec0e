#include "app/cli.hpp"

#include <gtest/gtest.h>

namespace shunt {
namespace {

TEST(CommandLine, ParsesCommands) {
    std::string error;
    auto run = parse_command_line({"run", "-c", "x.toml", "-v"}, error);
    EXPECT_TRUE(error.empty());
    EXPECT_EQ(run.command, CommandLine::Command::run);
    EXPECT_EQ(run.config_path, "x.toml");
    EXPECT_EQ(run.verbosity, 1);
    auto check = parse_command_line({"check", "--config", "y.toml"}, error);
    EXPECT_EQ(check.command, CommandLine::Command::check);
    EXPECT_EQ(check.verbosity, 0);
    EXPECT_EQ(parse_command_line({"check", "-c", "y.toml", "-v"}, error).verbosity, 1);
    EXPECT_EQ(parse_command_line({"version"}, error).command, CommandLine::Command::version);
    auto server = parse_command_line({"mux-server", "-c", "server.toml", "-vv"}, error);
    EXPECT_TRUE(error.empty()) << error;
    EXPECT_EQ(server.command, CommandLine::Command::mux_server);
    EXPECT_EQ(server.config_path, "server.toml");
    EXPECT_EQ(server.verbosity, 2);
    auto cleanup = parse_command_line({"cleanup"}, error);
    EXPECT_TRUE(error.empty()) << error;
    EXPECT_EQ(cleanup.command, CommandLine::Command::cleanup);
    EXPECT_EQ(cleanup.config_path, "");
    EXPECT_EQ(parse_command_line({"cleanup", "-c", "z.toml"}, error).config_path, "z.toml");
}

TEST(CommandLine, HelpOnEveryCommand) {
    for (const char* cmd : {"run", "check", "cleanup", "mux-server", "version"}) {
        std::string error;
        auto cl = parse_command_line({cmd, "--help"}, error);
        EXPECT_TRUE(error.empty());
        EXPECT_EQ(cl.command, CommandLine::Command::help);
        EXPECT_NE(cl.help_text.find(std::string("shunt ") + cmd), std::string::npos) << cmd;
    }
}

TEST(CommandLine, BadUsageIsAnError) {
    for (std::vector<std::string> args : {std::vector<std::string>{"run"},
                                          {"check", "-c"},
                                          {"mux-server"},
                                          {"cleanup", "-v"},
                                          {"check", "-c", "x", "-vv"},
                                          {"frobnicate"},
                                          {"run", "-c", "x", "--bogus"}}) {
        std::string error;
        parse_command_line(args, error);
        EXPECT_FALSE(error.empty());
    }
}

}  // namespace
}  // namespace shunt
