#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "runtime/evaluator.h"

namespace mlserving::formats::pmml {

/// True when `path` looks like a PMML document: a `.pmml` file, or a file whose first bytes hold
/// a <PMML element (or an XML declaration in a `.xml` file).
bool SniffPmml(const std::string& path, std::string_view head);

/// Loads a PMML 3.0–4.4 document into an Evaluator. Inputs: the top-level model's active
/// MiningFields as 1-D nullable columns ([-1]; double -> float64, integer -> int64, string ->
/// string, boolean -> bool). Outputs: its final OutputFields, or its targets when it has no Output.
/// Errors: kNotFound (no file), kResourceExhausted (too large), kInvalidArgument (malformed or
/// invalid PMML), kUnimplemented (unsupported model types, functions, elements — named).
Result<std::unique_ptr<Evaluator>> LoadPmmlFile(const std::string& path);
Result<std::unique_ptr<Evaluator>> LoadPmmlBytes(std::string_view bytes, const std::string& display_name);

}  // namespace mlserving::formats::pmml
