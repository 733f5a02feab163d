#pragma once

#include <memory>
#include <string>
#include <vector>

#include "formats/pmml/model.h"
#include "formats/pmml/predicate.h"

namespace mlserving::formats::pmml {

/// Segmentation@multipleModelMethod.
enum class MultipleModelMethod : uint8_t {
  kMajorityVote,
  kWeightedMajorityVote,
  kAverage,
  kWeightedAverage,
  kMedian,
  kWeightedMedian,
  kMax,
  kSum,
  kWeightedSum,
  kSelectFirst,
  kSelectAll,
  kModelChain,
};

/// <MiningModel> with a <Segmentation>: segments (predicate, weight, nested model) combined by the
/// multipleModelMethod. Segments whose predicate is not true are skipped. In a modelChain the
/// output fields of each segment are visible (as fields) to the later segments and the last
/// segment scored gives the result. selectAll scores every segment; the model's own prediction is
/// the first scored segment's, and a top-level selectAll model returns every segment's results
/// (PmmlDocument: `<field>[<segment id>]`). OutputField@segmentId reads one segment's result
/// under any method. Segments not scored for a row have an empty (cleared) prediction.
class MiningModel final : public Model {
 public:
  struct Segment {
    std::string id;
    Predicate predicate;
    double weight = 1;
    Slot weight_slot = kNoSlot;  ///< VariableWeight: the weight is read from this field per row
    std::unique_ptr<Model> model;
  };

  MiningModel(ModelInfo info, std::vector<Segment> segments, MultipleModelMethod method);
  Status Score(EvalContext& ctx, Prediction& out) const override;

 private:
  Status Combine(EvalContext& ctx, const std::vector<int>& scored, Prediction& out) const;

  std::vector<Segment> segments_;
  MultipleModelMethod method_;
};

}  // namespace mlserving::formats::pmml
