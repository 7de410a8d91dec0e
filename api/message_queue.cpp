#include "api/message_queue.hpp"

namespace shunt::api {

void MessageQueue::push(std::string message) {
    std::function<void()> wake;
    {
        std::lock_guard lock(mutex_);
        const bool was_empty = messages_.empty();
        bytes_ += message.size();
        messages_.push_back(std::move(message));
        while (messages_.size() > 1 &&
               (messages_.size() > limits_.messages || bytes_ > limits_.bytes)) {
            bytes_ -= messages_.front().size();
            messages_.pop_front();
            ++dropped_;
            ++dropped_unreported_;
        }
        if (was_empty) wake = waker_;
    }
    if (wake) wake();
}

std::vector<std::string> MessageQueue::take() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    out.reserve(messages_.size() + 1);
    if (dropped_unreported_ > 0 && notice_) {
        if (auto notice = notice_(dropped_unreported_); !notice.empty())
            out.push_back(std::move(notice));
    }
    dropped_unreported_ = 0;
    for (auto& message : messages_) out.push_back(std::move(message));
    messages_.clear();
    bytes_ = 0;
    return out;
}

void MessageQueue::set_waker(std::function<void()> waker) {
    std::lock_guard lock(mutex_);
    waker_ = std::move(waker);
}

std::uint64_t MessageQueue::dropped() const {
    std::lock_guard lock(mutex_);
    return dropped_;
}

}  // namespace shunt::api
