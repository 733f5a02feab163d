#include "server/codecs/json_evaluation.h"

namespace mlserving::codecs {

Result<JsonEvaluation> EvaluateJsonBody(const Evaluator& evaluator, std::string_view request_body,
                                        const JsonLimits& limits, const EvaluationContext& ctx, ResponseFormat format) {
  const Signature& signature = evaluator.Describe();
  ASSIGN_OR_RETURN(TensorMap inputs, DecodeJsonRequest(request_body, signature, limits));
  ASSIGN_OR_RETURN(TensorMap outputs, evaluator.Evaluate(inputs, ctx));
  JsonEvaluation result;
  // Rows: the leading dim of the first output (1 for a scalar output).
  if (!signature.outputs.empty()) {
    auto it = outputs.find(signature.outputs.front().name);
    if (it != outputs.end()) result.rows = it->second.rank() == 0 ? 1 : it->second.dim(0);
  }
  result.body =
      format == ResponseFormat::kHtml ? EncodeHtmlResponse(outputs, signature) : EncodeJsonResponse(outputs, signature);
  return result;
}

std::string EncodeError(int http_status, std::string_view message) {
  std::string out = "{\"status\":" + std::to_string(http_status) + ",\"message\":";
  AppendJsonString(out, message);
  out += '}';
  return out;
}

}  // namespace mlserving::codecs
