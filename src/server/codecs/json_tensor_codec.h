#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "runtime/evaluator.h"
#include "runtime/signature.h"

namespace mlserving::codecs {

/// Bounds on what a JSON request may make us build.
struct JsonLimits {
  size_t max_depth = 32;                    ///< nesting depth of arrays
  int64_t max_elements = int64_t{1} << 24;  ///< elements over all inputs of one request
};

/// Decodes the body of a native `POST /eval` (application/json) against `signature`.
///
/// The body is an object mapping input names to nested arrays (shape from nesting; ragged
/// arrays rejected) or bare scalars. A value whose shape is not the declared one is reshaped to
/// it when the element count allows: first as a batch of one (`{"fare": 7}` -> [[7]],
/// `[6.5,3,5.5,1.8]` -> [[6.5,3,5.5,1.8]]), then as one row per element (the per-column form
/// `{"fare": [7, 9]}` -> [[7],[9]]). When exactly one input declares `columns`, its values may
/// instead be given one key per column. Every signature input must be present and no unknown
/// key is allowed. Errors are kInvalidArgument (kResourceExhausted past `limits`) and name the
/// offending input and what was expected.
Result<TensorMap> DecodeJsonRequest(std::string_view body, const Signature& signature, const JsonLimits& limits);

/// Encodes `outputs` as the native API answers: an object mapping each signature output (in
/// signature order) to a nested array, with every dimension of size 1 dropped (so a batch of
/// one comes back as plain values). NaN and infinities become null.
std::string EncodeJsonResponse(const TensorMap& outputs, const Signature& signature);

/// A self-contained HTML page showing each output as a table (for `Accept: text/html`).
std::string EncodeHtmlResponse(const TensorMap& outputs, const Signature& signature);

/// The `GET /describe` document: {"inputs":[{"name","type","shape"}…],"outputs":[…]} with the
/// API type names (string|integer|long|float|double|boolean) and -1 for dynamic dims.
std::string EncodeDescribe(const Signature& signature);

/// Appends `value` to `out` as a JSON string literal (quotes and escapes included).
void AppendJsonString(std::string& out, std::string_view value);

}  // namespace mlserving::codecs
