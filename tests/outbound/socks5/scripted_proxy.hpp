// A fake SOCKS5 server for unit tests: on 127.0.0.1, on the test's own io_context, it
// answers each accepted connection from a script of (bytes to read, bytes to write) steps
// and then closes, stays silent, or stays open. Crafted byte sequences test how the client
// handles replies a real server would never send.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace shunt::test {

using Bytes = std::vector<std::uint8_t>;

inline Bytes bytes_of(std::initializer_list<int> values) {
    Bytes out;
    for (int v : values) out.push_back(static_cast<std::uint8_t>(v));
    return out;
}

inline Bytes concat(Bytes a, const Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

class ScriptedProxy {
  public:
    struct Step {
        std::size_t read = 0;  // bytes to read first (all of them)
        Bytes write;           // then written at once
    };
    enum class End { close, stay_open };

    ScriptedProxy(boost::asio::io_context& io, std::vector<Step> script, End end = End::close)
        : acceptor_(io, {boost::asio::ip::make_address_v4("127.0.0.1"), 0}),
          script_(std::move(script)),
          end_(end) {
        do_accept();
    }

    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    // Everything the client sent, over every connection.
    const Bytes& received() const { return received_; }
    int accepted() const { return accepted_; }
    // Closes every connection still open (a proxy going away mid-association).
    void close_connections() {
        for (auto& connection : connections_) {
            boost::system::error_code ignored;
            connection->socket.close(ignored);
        }
    }

  private:
    struct Connection {
        explicit Connection(boost::asio::ip::tcp::socket s) : socket(std::move(s)) {}
        boost::asio::ip::tcp::socket socket;
        std::size_t step = 0;
        Bytes in;
    };

    void do_accept() {
        acceptor_.async_accept(
            [this](boost::system::error_code error, boost::asio::ip::tcp::socket socket) {
                if (error) return;
                ++accepted_;
                connections_.push_back(std::make_shared<Connection>(std::move(socket)));
                run_step(connections_.back());
                do_accept();
            });
    }

    void run_step(std::shared_ptr<Connection> connection) {
        if (connection->step == script_.size()) {
            if (end_ == End::close) {
                boost::system::error_code ignored;
                connection->socket.close(ignored);
            }
            return;
        }
        const Step& step = script_[connection->step];
        connection->in.assign(step.read, 0);
        boost::asio::async_read(
            connection->socket, boost::asio::buffer(connection->in),
            [this, connection](boost::system::error_code error, std::size_t read) {
                received_.insert(received_.end(), connection->in.begin(),
                                 connection->in.begin() + static_cast<std::ptrdiff_t>(read));
                if (error) return;
                const Step& step = script_[connection->step++];
                if (step.write.empty()) {
                    run_step(connection);
                    return;
                }
                boost::asio::async_write(
                    connection->socket, boost::asio::buffer(step.write),
                    [this, connection](boost::system::error_code error, std::size_t) {
                        if (!error) run_step(connection);
                    });
            });
    }

    boost::asio::ip::tcp::acceptor acceptor_;
    std::vector<Step> script_;
    End end_;
    Bytes received_;
    int accepted_ = 0;
    std::vector<std::shared_ptr<Connection>> connections_;
};

}  // namespace shunt::test
