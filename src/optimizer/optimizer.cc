#include "optimizer/optimizer.h"

#include <cstdlib>

#include "optimizer/passes.h"

namespace mlserving::optimizer {

Result<OptimizationLevel> ParseOptimizationLevel(const std::string& text) {
  if (text == "none") return OptimizationLevel::kNone;
  if (text == "basic") return OptimizationLevel::kBasic;
  if (text == "all") return OptimizationLevel::kAll;
  return InvalidArgument("unknown graph optimization level '" + text + "': use none, basic or all");
}

Result<OptimizationLevel> OptimizationLevelFromEnvironment() {
  const char* value = std::getenv(kOptimizationLevelEnv);
  if (value == nullptr || *value == '\0') return OptimizationLevel::kAll;
  Result<OptimizationLevel> level = ParseOptimizationLevel(value);
  if (!level.ok()) return level.status().WithContext(kOptimizationLevelEnv);
  return level;
}

std::string OptimizationReport::Summary() const {
  std::string out;
  for (const auto& [name, count] : rewrites) {
    if (count == 0) continue;
    if (!out.empty()) out += ' ';
    out += name + "=" + std::to_string(count);
  }
  return out;
}

Result<OptimizationReport> Optimize(ir::Graph& graph, const kernels::KernelRegistry& registry,
                                    OptimizationLevel level) {
  OptimizationReport report;
  const PassContext context{registry};
  for (const Pass& pass : Pipeline()) {
    if (static_cast<int>(level) < pass.level) continue;
    Result<int> rewrites = pass.run(graph, context);
    if (!rewrites.ok()) return rewrites.status().WithContext(std::string("graph optimization pass ") + pass.name);
    report.rewrites.emplace_back(pass.name, rewrites.value());
  }
  return report;
}

}  // namespace mlserving::optimizer
