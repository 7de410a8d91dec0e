#include "dns/upstream/doh_response.hpp"

#include <cctype>

#include "dns/upstream/message_check.hpp"
#include "dns/upstream/upstream_error.hpp"

namespace shunt::dns {

bool is_dns_message_type(std::string_view content_type) {
    if (content_type.size() < kDnsMessageType.size()) return false;
    for (std::size_t i = 0; i < kDnsMessageType.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(content_type[i])) != kDnsMessageType[i])
            return false;
    auto rest = content_type.substr(kDnsMessageType.size());
    return rest.empty() || rest.front() == ';' || rest.front() == ' ';
}

boost::system::error_code judge_doh_response(unsigned status, std::string_view content_type,
                                             std::span<const std::uint8_t> query,
                                             std::span<const std::uint8_t> body) {
    if (status != 200) return http_status_error(status);
    if (!is_dns_message_type(content_type)) return UpstreamErrc::bad_content_type;
    switch (message::check_answer(query, body)) {
        case message::AnswerCheck::ok:
            return {};
        case message::AnswerCheck::mismatch:
            return UpstreamErrc::answer_mismatch;
        case message::AnswerCheck::malformed:
            return UpstreamErrc::malformed_answer;
    }
    return UpstreamErrc::malformed_answer;  // not reached: every AnswerCheck is handled
}

}  // namespace shunt::dns
