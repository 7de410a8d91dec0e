#include "net/accept_retry.hpp"

#include <cerrno>
#include <utility>

#include <spdlog/spdlog.h>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

namespace shunt {

AcceptRetry::AcceptRetry(boost::asio::any_io_executor executor, std::string what)
    : timer_(std::move(executor)), what_(std::move(what)) {}

bool AcceptRetry::is_exhaustion(const boost::system::error_code& ec) {
    if (ec.category() != boost::system::system_category() &&
        ec.category() != boost::system::generic_category())
        return false;
    const int value = ec.value();
    return value == EMFILE || value == ENFILE || value == ENOBUFS || value == ENOMEM;
}

void AcceptRetry::after_error(const boost::system::error_code& ec, std::function<void()> resume) {
    ++errors_;
    // The acceptor was closed: accepting again would fail at once, forever.
    if (ec == boost::asio::error::operation_aborted || ec == boost::asio::error::bad_descriptor)
        return;
    if (!is_exhaustion(ec)) {
        spdlog::debug("{}: accept: {}", what_, ec.message());
        boost::asio::post(timer_.get_executor(), std::move(resume));
        return;
    }
    ++pauses_;
    if (auto skipped = log_.admit())
        spdlog::warn(
            "{}: accept: {}; new connections wait in the backlog, accepting again "
            "every {} ms{}",
            what_, ec.message(), kPause.count(),
            *skipped == 0 ? std::string()
                          : " (" + std::to_string(*skipped) + " more since the last line)");
    timer_.expires_after(kPause);
    timer_.async_wait([resume = std::move(resume)](const boost::system::error_code& wait_ec) {
        if (!wait_ec) resume();
    });
}

void AcceptRetry::cancel() {
    timer_.cancel();
}

}  // namespace shunt
