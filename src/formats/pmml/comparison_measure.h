#pragma once

#include <pugixml.hpp>

#include <string_view>
#include <vector>

#include "core/result.h"

namespace mlserving::formats::pmml {

/// A compiled <ComparisonMeasure> (shared by ClusteringModel and NearestNeighborModel): how a row
/// is compared with a reference point (a cluster center, a training instance) field by field.
struct ComparisonMeasure {
  enum class Measure : uint8_t {
    kEuclidean,
    kSquaredEuclidean,
    kChebychev,
    kCityBlock,
    kMinkowski,
    kSimpleMatching,
    kJaccard,
    kTanimoto,
    kBinarySimilarity
  };
  enum class Compare : uint8_t { kAbsDiff, kGaussSim, kDelta, kEqual, kTable };

  /// One compared field: its compareFunction, fieldWeight, similarityScale (gaussSim) and the
  /// MissingValueWeights entry (q, clustering only; 1 otherwise). For kTable the compared values
  /// are positions in the field's declared domain and c(x, y) = table[x · table_size + y] (a
  /// ClusteringField's <Comparisons> matrix).
  struct Field {
    Compare compare = Compare::kAbsDiff;
    double weight = 1;
    double similarity_scale = 1;
    double missing_weight = 1;
    size_t table_size = 0;
    std::vector<double> table;
  };

  Measure measure = Measure::kSquaredEuclidean;
  double p = 2;                                                                   ///< minkowski
  double c00 = 0, c01 = 0, c10 = 0, c11 = 0, d00 = 0, d01 = 0, d10 = 0, d11 = 0;  ///< binarySimilarity

  bool is_similarity() const { return measure >= Measure::kSimpleMatching; }
  /// True when `a` is a better match than `b` (smaller distance, larger similarity).
  bool Better(double a, double b) const { return is_similarity() ? a > b : a < b; }

  /// The measure between `x` (the row) and `y` (the reference point) over `fields`. NaN entries
  /// of `x` or `y` are missing and skipped; distances are then scaled by Σq / Σq(compared) (the
  /// PMML adjustment for missing values). Similarities count 0/1 values (non-zero = 1) over the
  /// compared fields. NaN when no field could be compared.
  double Evaluate(const std::vector<Field>& fields, const double* x, const double* y) const;

  /// c(x, y) of one field.
  static double CompareValues(const Field& f, double x, double y);
};

/// Reads the measure element of a <ComparisonMeasure> and checks that its `kind` agrees with it.
Result<ComparisonMeasure> ParseComparisonMeasure(pugi::xml_node comparison);

/// Parses a compareFunction attribute value; kInvalidArgument for unknown names. `table` needs
/// the caller to fill Field::table.
Result<ComparisonMeasure::Compare> ParseCompareFunction(std::string_view name);

}  // namespace mlserving::formats::pmml
