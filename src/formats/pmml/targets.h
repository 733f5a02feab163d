#pragma once

#include <pugixml.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "core/result.h"
#include "formats/pmml/value.h"

namespace mlserving::formats::pmml {

/// One <TargetValue>: a category's display value and prior, or a regression default.
struct TargetValue {
  Value value;
  std::string display_value;
  double prior_probability = std::nan("");
  Value default_value;
};

/// One <Target>: post-processing of a model's raw prediction.
struct Target {
  enum class CastInteger : uint8_t { kNone, kRound, kCeiling, kFloor };
  std::string field;  ///< may be empty (applies to the model's only target)
  double min = -HUGE_VAL;
  double max = HUGE_VAL;
  double rescale_factor = 1.0;
  double rescale_constant = 0.0;
  CastInteger cast_integer = CastInteger::kNone;
  std::vector<TargetValue> values;

  /// Regression post-processing in PMML order: clamp to [min, max], rescale, then castInteger.
  double Apply(double v) const;
  /// The TargetValue whose value equals `v`, or nullptr.
  const TargetValue* Find(const Value& v) const;
  /// The regression default value (a TargetValue with defaultValue), missing when none.
  Value DefaultValue() const;
  bool has_priors() const;
};

/// The model's <Targets>.
struct Targets {
  std::vector<Target> targets;
  /// The Target for `field` (or the one without a field attribute), or nullptr.
  const Target* Find(const std::string& field) const;
};

Result<Targets> ParseTargets(pugi::xml_node node);

}  // namespace mlserving::formats::pmml
