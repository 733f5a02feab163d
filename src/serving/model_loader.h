#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/result.h"
#include "runtime/evaluator.h"

namespace mlserving::serving {

/// A model ready to serve, with what is known about how it was loaded.
struct LoadedModel {
  std::shared_ptr<const Evaluator> evaluator;
  std::string path;
  std::string format;  ///< "onnx", …
  std::chrono::duration<double> load_time{};
};

/// Sniffs `path` (a file, a directory or a manifest) and loads it with the matching format
/// loader from the one explicit table in model_loader.cc. Errors say what the file is not and
/// which formats are supported.
Result<LoadedModel> LoadModel(const std::string& path);

/// Runs the model once on generated inputs (zeros / empty strings, dynamic dims = 1) so that
/// lazy preparation happens before the model is reported ready. Fails when the model cannot
/// evaluate a minimal batch.
Status WarmUp(const Evaluator& evaluator);

}  // namespace mlserving::serving
