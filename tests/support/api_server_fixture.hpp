// A control API server on its own thread's io_context, on a free loopback port, for tests
// that talk to it with curl and raw sockets (tests/api). TearDown stops it on its thread.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "api/api_server.hpp"
#include "tests/support/child_process.hpp"

namespace shunt::test {

class ApiServerFixture : public ::testing::Test {
  protected:
    // Runs a server with the endpoints `add` registers, secret "s3cret", on a free port
    // (and on the unix socket `unix_path` if given).
    void start(api::ApiLimits limits, const std::function<void(api::ApiRouter&)>& add,
               const std::string& unix_path = "") {
        api::ApiServerOptions options;
        options.unix_path = unix_path;
        options.listen = {Endpoint{*IpAddress::parse("127.0.0.1"), 0}};
        options.guard.secret = "s3cret";
        options.guard.listen_host = "127.0.0.1";
        options.limits = limits;
        api::ApiRouter router;
        add(router);
        server_ = std::make_unique<api::ApiServer>(io_.get_executor(), options, std::move(router));
        server_->start();
        port_ = server_->local_endpoints().at(0).port;
        work_.emplace(io_.get_executor());
        thread_ = std::thread([this] { io_.run(); });
    }
    void TearDown() override {
        if (!thread_.joinable()) return;
        boost::asio::post(io_, [this] {
            server_->stop();
            work_.reset();
        });
        thread_.join();
        server_.reset();
    }
    std::size_t connections() {
        std::promise<std::size_t> count;
        boost::asio::post(io_, [&] { count.set_value(server_->connection_count()); });
        return count.get_future().get();
    }
    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }
    // curl's body, then a line with the status code.
    test::CommandResult curl(std::vector<std::string> args) {
        std::vector<std::string> argv = {"curl", "-s", "-m", "10", "-w", "\n%{http_code}"};
        argv.insert(argv.end(), args.begin(), args.end());
        return test::run_command(argv);
    }

    boost::asio::io_context io_;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
    std::unique_ptr<api::ApiServer> server_;
    std::thread thread_;
    std::uint16_t port_ = 0;
};

}  // namespace shunt::test
