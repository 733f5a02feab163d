#pragma once

#include <memory>
#include <string>
#include <vector>

#include "formats/pmml/model.h"
#include "formats/pmml/predicate.h"

namespace mlserving::formats::pmml {

class TreeModel;
class FlatTreeEnsemble;

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
    /// The index in the MiningModel's classes of each of the segment model's classes, resolved
    /// at load (-1: not known then; Combine looks such a class up by name).
    std::vector<int> class_map;
  };

  MiningModel(ModelInfo info, std::vector<Segment> segments, MultipleModelMethod method);
  ~MiningModel() override;
  Status Score(EvalContext& ctx, Prediction& out) const override;
  void Prepare() override;

 private:
  /// The tree-ensemble fast path (average, weightedAverage, sum, weightedSum of TreeModels that
  /// every row scores and nothing else observes): walks each tree and accumulates its leaf's score
  /// or class probabilities directly, with the same arithmetic in the same order as RunModel on
  /// each segment followed by Combine, without filling the segments' predictions. A tree whose
  /// walk ends in an aggregation is scored by RunModel.
  Status ScoreTrees(EvalContext& ctx, Prediction& out) const;
  /// ScoreTrees on the flat form of the trees (FlatTreeEnsemble), for a row whose every tested
  /// field holds a number; false when the row does not qualify (the generic walk then scores it).
  bool ScoreFlat(EvalContext& ctx, Prediction& out) const;

  Status Combine(EvalContext& ctx, std::vector<int>& scored, Prediction& out) const;
  /// The MiningModel class index of class `j` of segment `s` (-1 when it has none).
  int MapClass(const Segment& s, size_t j) const {
    int c = j < s.class_map.size() ? s.class_map[j] : -1;
    return c >= 0 ? c : info_.ClassIndex(s.model->info().classes[j]);
  }

  std::vector<Segment> segments_;
  MultipleModelMethod method_;
  std::vector<const TreeModel*> trees_;  ///< one per segment when the fast path applies, else empty
  /// The trees_ compiled flat, when every tree's predicates allow it (else nullptr).
  std::unique_ptr<FlatTreeEnsemble> flat_;
};

}  // namespace mlserving::formats::pmml
