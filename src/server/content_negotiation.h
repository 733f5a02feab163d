#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace mlserving::server {

/// The request body encodings of POST /eval. kForm is curl's default for `-d`
/// (application/x-www-form-urlencoded): the router reads it as JSON when the body is a JSON object.
enum class RequestEncoding { kJson, kForm, kPng, kJpeg, kMultipart };

/// The response encodings of POST /eval.
enum class ResponseEncoding { kJson, kHtml };

/// The media type of a Content-Type or Accept element: lower-cased, parameters dropped, trimmed
/// ("Application/JSON; charset=utf-8" -> "application/json").
std::string MediaType(std::string_view header_value);

/// Maps a Content-Type header to the request encoding; absent or empty means JSON. Unknown
/// media types and JSON in a charset other than utf-8 (or its subset us-ascii) are errors whose
/// message lists what is supported; the caller answers them with 415 (no StatusCode maps to it).
Result<RequestEncoding> ParseContentType(std::string_view content_type);

/// Picks the response encoding from an Accept header: absent or empty, `*/*`, `application/*`
/// and `application/json` give JSON; `text/html` and `text/*` give HTML. Elements are tried by
/// decreasing q-value, in header order among equal q-values; q=0 excludes. When nothing
/// acceptable remains, the error lists what is supported; the caller answers it with 406.
Result<ResponseEncoding> NegotiateResponse(std::string_view accept);

}  // namespace mlserving::server
