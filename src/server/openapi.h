#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "runtime/signature.h"

namespace mlserving::server {

/// The OpenAPI 3.0 document of the native API for a model with `signature`: every route, the
/// POST /eval request schema (one property per input: element type from the dtype, arrays nested
/// by rank with the fixed sizes, or the single-instance lower-rank forms via oneOf; the one-key-
/// per-column form when an input declares columns), the response schema (one property per
/// output) and the error schema {status, message}. `summary` is the model's description.
nlohmann::json BuildOpenApi(const Signature& signature, const std::string& summary);

}  // namespace mlserving::server
