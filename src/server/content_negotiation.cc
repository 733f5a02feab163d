#include "server/content_negotiation.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <vector>

namespace mlserving::server {
namespace {

constexpr std::string_view kSupportedRequestTypes = "application/json (the default when Content-Type is absent)";
constexpr std::string_view kSupportedResponseTypes = "application/json (the default), text/html";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// Splits `s` on `separator` (no quoting: the media types we accept do not need it).
std::vector<std::string_view> Split(std::string_view s, char separator) {
  std::vector<std::string_view> parts;
  for (;;) {
    const size_t end = s.find(separator);
    parts.push_back(s.substr(0, end));
    if (end == std::string_view::npos) return parts;
    s.remove_prefix(end + 1);
  }
}

/// The value of parameter `name` ("charset", "q") of one media-type element, lower-cased and
/// unquoted; "" when absent.
std::string Parameter(std::string_view element, std::string_view name) {
  const std::vector<std::string_view> parts = Split(element, ';');
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::string_view part = Trim(parts[i]);
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos) continue;
    if (Lower(Trim(part.substr(0, eq))) != name) continue;
    std::string_view value = Trim(part.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    return Lower(value);
  }
  return "";
}

/// The q-value of an Accept element in [0, 1]; malformed values count as 1 (be lenient).
double QValue(std::string_view element) {
  const std::string q = Parameter(element, "q");
  if (q.empty()) return 1.0;
  double value = 1.0;
  const auto [ptr, ec] = std::from_chars(q.data(), q.data() + q.size(), value);
  if (ec != std::errc() || ptr != q.data() + q.size()) return 1.0;
  return std::clamp(value, 0.0, 1.0);
}

}  // namespace

std::string MediaType(std::string_view header_value) {
  const size_t end = header_value.find(';');
  return Lower(Trim(header_value.substr(0, end)));
}

Result<RequestEncoding> ParseContentType(std::string_view content_type) {
  const std::string type = MediaType(content_type);
  if (type.empty() || type == "application/json") {
    const std::string charset = Parameter(content_type, "charset");
    if (!charset.empty() && charset != "utf-8" && charset != "utf8" && charset != "us-ascii") {
      return InvalidArgument("JSON request bodies must be UTF-8, got charset=" + charset +
                             "; send Content-Type: application/json or application/json; charset=utf-8");
    }
    return RequestEncoding::kJson;
  }
  if (type == "application/x-www-form-urlencoded") return RequestEncoding::kForm;
  if (type == "image/png") return RequestEncoding::kPng;
  if (type == "image/jpeg" || type == "image/jpg") return RequestEncoding::kJpeg;
  if (type == "multipart/form-data") return RequestEncoding::kMultipart;
  return InvalidArgument("unsupported Content-Type '" + type + "'; supported: " + std::string(kSupportedRequestTypes));
}

Result<ResponseEncoding> NegotiateResponse(std::string_view accept) {
  if (Trim(accept).empty()) return ResponseEncoding::kJson;
  struct Candidate {
    std::string type;
    double q;
  };
  std::vector<Candidate> candidates;
  for (std::string_view element : Split(accept, ',')) {
    if (Trim(element).empty()) continue;
    candidates.push_back({MediaType(element), QValue(element)});
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Candidate& a, const Candidate& b) { return a.q > b.q; });
  for (const Candidate& candidate : candidates) {
    if (candidate.q <= 0.0) break;
    const std::string& type = candidate.type;
    if (type == "application/json" || type == "application/*" || type == "*/*" || type == "*") {
      return ResponseEncoding::kJson;
    }
    if (type == "text/html" || type == "text/*") return ResponseEncoding::kHtml;
  }
  return InvalidArgument("cannot answer with any type in Accept: " + std::string(accept.substr(0, 200)) +
                         "; supported: " + std::string(kSupportedResponseTypes));
}

}  // namespace mlserving::server
