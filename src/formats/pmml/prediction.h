#pragma once

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "formats/pmml/value.h"

namespace mlserving::formats::pmml {

/// What one model computed for one row, before output fields are derived from it.
///
/// A model fills what its type supports; everything else stays empty. Vectors keep their capacity
/// across rows (Clear() does not free), so scoring a row does not allocate once warmed up.
struct Prediction {
  /// The predicted value: a number for regression, the winning class label (as a string) for
  /// classification, the cluster id for clustering. Missing when the model made no prediction.
  Value value;
  /// One probability per ModelInfo::classes entry (same order); empty when the model has none.
  std::vector<double> probabilities;
  /// Per-class confidences (TreeModel ScoreDistribution confidence); empty means "same as probabilities".
  std::vector<double> confidences;
  /// Id of the winning entity: tree node id, cluster id, rule id, neighbour id.
  std::string entity_id;
  /// Affinity (distance or similarity) of the winning entity; NaN when not applicable.
  double affinity = std::nan("");
  /// Per-entity affinities where the model type defines entities (clusters), in entity order.
  std::vector<double> entity_affinities;
  /// Entities ranked best first where a model type ranks several (NearestNeighborModel: the k
  /// neighbours' ids and their distances/similarities); entityId/affinity outputs with rank r
  /// read entry r - 1. Empty for single-entity types.
  std::vector<std::string> ranked_entity_ids;
  std::vector<double> ranked_affinities;
  /// Per-target predicted values of models with several targets (NearestNeighborModel with
  /// functionName="mixed"), keyed by target field; `value` then holds the first target's.
  std::vector<std::pair<std::string, Value>> target_values;
  /// Values a model type computes itself for some of its own output fields (AssociationModel
  /// rules selected per OutputField algorithm/rank), keyed by OutputField name; they take
  /// precedence over the generic feature computation.
  std::vector<std::pair<std::string, Value>> output_values;
  /// Reason codes ordered by rank (Scorecard).
  std::vector<std::string> reason_codes;
  /// Rule metadata for the RuleSet/Association `ruleValue` output feature, keyed by ruleFeature.
  std::vector<std::pair<std::string, Value>> rule_values;

  void Clear() {
    value = Value::Missing();
    probabilities.clear();
    confidences.clear();
    entity_id.clear();
    affinity = std::nan("");
    entity_affinities.clear();
    ranked_entity_ids.clear();
    ranked_affinities.clear();
    target_values.clear();
    output_values.clear();
    reason_codes.clear();
    rule_values.clear();
  }
};

}  // namespace mlserving::formats::pmml
