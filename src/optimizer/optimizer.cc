#include "optimizer/optimizer.h"

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

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

namespace {

Status OptimizeGraph(ir::Graph& graph, const PassContext& context, OptimizationLevel level, std::vector<int>& counts);

/// A copy of the subgraph `body`, optimized. Its inputs' declared types are hidden from the
/// passes while they run, then restored: the engine does not check what a Loop, Scan or If
/// hands to its body against those declarations (a loop-carried value may change shape from one
/// iteration to the next), so no rewrite may rely on them. Outer-scope values are neither
/// inputs, constants nor produced in the body: the passes treat them as unknown and, as
/// everywhere, never rename or remove a value read by name (see optimizer.h).
Result<std::shared_ptr<const ir::Graph>> OptimizedSubgraph(const ir::Graph& body, const PassContext& context,
                                                           OptimizationLevel level, std::vector<int>& counts) {
  auto copy = std::make_shared<ir::Graph>(body);
  std::vector<ir::ValueType> declared;
  for (ir::ValueId in : copy->inputs()) {
    ir::ValueType& type = copy->value(in).type;
    declared.push_back(type);
    type.has_dtype = false;
    type.has_shape = false;
    type.shape.clear();
    type.dim_names.clear();
  }
  RETURN_IF_ERROR(OptimizeGraph(*copy, context, level, counts));
  for (size_t i = 0; i < declared.size(); ++i) copy->value(copy->inputs()[i]).type = declared[i];
  return std::shared_ptr<const ir::Graph>(std::move(copy));
}

/// Optimizes every subgraph attribute (If branches, Loop/Scan bodies, …) of the nodes of `graph`,
/// recursively, replacing each by an optimized copy (a subgraph shared with another graph is
/// not changed there).
Status OptimizeSubgraphs(ir::Graph& graph, const PassContext& context, OptimizationLevel level,
                         std::vector<int>& counts) {
  for (ir::Node& node : graph.nodes()) {
    for (auto& [name, attribute] : node.attributes) {
      const std::string where = "subgraph '" + name + "' of " + node.Describe();
      if (attribute.kind == ir::Attribute::Kind::kGraph && attribute.g != nullptr) {
        Result<std::shared_ptr<const ir::Graph>> optimized = OptimizedSubgraph(*attribute.g, context, level, counts);
        if (!optimized.ok()) return optimized.status().WithContext(where);
        attribute.g = std::move(optimized).value();
      } else if (attribute.kind == ir::Attribute::Kind::kGraphs) {
        for (std::shared_ptr<const ir::Graph>& g : attribute.graphs) {
          if (g == nullptr) continue;
          Result<std::shared_ptr<const ir::Graph>> optimized = OptimizedSubgraph(*g, context, level, counts);
          if (!optimized.ok()) return optimized.status().WithContext(where);
          g = std::move(optimized).value();
        }
      }
    }
  }
  return Status::Ok();
}

/// Runs the passes of `level` over the subgraphs of `graph` (innermost first), then over `graph`
/// itself, adding each pass's rewrites to counts[pass index]. The subgraphs go first so that the
/// passes over `graph` see only the outer values they still read.
Status OptimizeGraph(ir::Graph& graph, const PassContext& context, OptimizationLevel level, std::vector<int>& counts) {
  RETURN_IF_ERROR(OptimizeSubgraphs(graph, context, level, counts));
  const std::vector<Pass>& pipeline = Pipeline();
  for (size_t p = 0; p < pipeline.size(); ++p) {
    const Pass& pass = pipeline[p];
    if (static_cast<int>(level) < pass.level) continue;
    Result<int> rewrites = pass.run(graph, context);
    if (!rewrites.ok()) return rewrites.status().WithContext(std::string("graph optimization pass ") + pass.name);
    counts[p] += rewrites.value();
  }
  return Status::Ok();
}

}  // namespace

Result<OptimizationReport> Optimize(ir::Graph& graph, const kernels::KernelRegistry& registry,
                                    OptimizationLevel level) {
  OptimizationReport report;
  if (level == OptimizationLevel::kNone) return report;
  const PassContext context{registry};
  const std::vector<Pass>& pipeline = Pipeline();
  std::vector<int> counts(pipeline.size(), 0);
  RETURN_IF_ERROR(OptimizeGraph(graph, context, level, counts));
  for (size_t p = 0; p < pipeline.size(); ++p) {
    if (static_cast<int>(level) >= pipeline[p].level) report.rewrites.emplace_back(pipeline[p].name, counts[p]);
  }
  return report;
}

}  // namespace mlserving::optimizer
