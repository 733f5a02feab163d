#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "runtime/evaluator.h"
#include "server/codecs/json_tensor_codec.h"

namespace mlserving::codecs {

/// The encodings a native /eval answer can take.
enum class ResponseFormat { kJson, kHtml };

/// The one path from a native JSON request body to the encoded answer, shared by the HTTP
/// server (`POST /eval`) and the CLI (`mlserving predict --json`): decode against the
/// signature, evaluate, encode. Also reports the number of rows evaluated.
struct JsonEvaluation {
  std::string body;
  int64_t rows = 0;
};
Result<JsonEvaluation> EvaluateJsonBody(const Evaluator& evaluator, std::string_view request_body,
                                        const JsonLimits& limits, const EvaluationContext& ctx,
                                        ResponseFormat format = ResponseFormat::kJson);

/// The error document of the native API: {"status": N, "message": "..."}.
std::string EncodeError(int http_status, std::string_view message);

}  // namespace mlserving::codecs
