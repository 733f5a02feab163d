#include "formats/pmml/comparison_measure.h"

#include <cmath>
#include <string>
#include <utility>

#include "formats/pmml/xml.h"

namespace mlserving::formats::pmml {

using CMeasure = ComparisonMeasure::Measure;

double ComparisonMeasure::CompareValues(const Field& f, double x, double y) {
  switch (f.compare) {
    case Compare::kAbsDiff: return std::fabs(x - y);
    case Compare::kGaussSim: {
      double z = x - y;
      return std::exp(-std::log(2.0) * z * z / (f.similarity_scale * f.similarity_scale));
    }
    case Compare::kDelta: return x == y ? 0.0 : 1.0;
    case Compare::kEqual: return x == y ? 1.0 : 0.0;
    case Compare::kTable: return f.table[static_cast<size_t>(x) * f.table_size + static_cast<size_t>(y)];
  }
  return 0;
}

double ComparisonMeasure::Evaluate(const std::vector<Field>& fields, const double* x, const double* y) const {
  const size_t n = fields.size();
  if (is_similarity()) {
    double a11 = 0, a10 = 0, a01 = 0, a00 = 0;
    bool any = false;
    for (size_t i = 0; i < n; ++i) {
      if (std::isnan(x[i]) || std::isnan(y[i])) continue;
      any = true;
      bool xi = x[i] != 0, yi = y[i] != 0;
      (xi ? (yi ? a11 : a10) : (yi ? a01 : a00)) += 1;
    }
    if (!any) return std::nan("");
    switch (measure) {
      case CMeasure::kSimpleMatching: return (a11 + a00) / (a11 + a10 + a01 + a00);
      case CMeasure::kJaccard: return a11 / (a11 + a10 + a01);
      case CMeasure::kTanimoto: return (a11 + a00) / (a11 + 2 * (a10 + a01) + a00);
      default: return (c11 * a11 + c10 * a10 + c01 * a01 + c00 * a00) / (d11 * a11 + d10 * a10 + d01 * a01 + d00 * a00);
    }
  }
  double m = 0, all_q = 0, present_q = 0;
  for (size_t i = 0; i < n; ++i) {
    const Field& f = fields[i];
    all_q += f.missing_weight;
    if (std::isnan(x[i]) || std::isnan(y[i])) continue;
    present_q += f.missing_weight;
    double d = CompareValues(f, x[i], y[i]);
    switch (measure) {
      case CMeasure::kEuclidean:
      case CMeasure::kSquaredEuclidean: m += f.weight * d * d; break;
      case CMeasure::kChebychev: m = std::max(m, f.weight * d); break;
      case CMeasure::kCityBlock: m += f.weight * d; break;
      case CMeasure::kMinkowski: m += f.weight * std::pow(d, p); break;
      default: break;
    }
  }
  if (present_q <= 0) return std::nan("");
  double adjust = all_q / present_q;
  switch (measure) {
    case CMeasure::kEuclidean: return std::sqrt(m * adjust);
    case CMeasure::kMinkowski: return std::pow(m * adjust, 1.0 / p);
    default: return m * adjust;
  }
}

Result<ComparisonMeasure::Compare> ParseCompareFunction(std::string_view name) {
  using C = ComparisonMeasure::Compare;
  if (name == "absDiff") return C::kAbsDiff;
  if (name == "gaussSim") return C::kGaussSim;
  if (name == "delta") return C::kDelta;
  if (name == "equal") return C::kEqual;
  if (name == "table") return C::kTable;
  return InvalidArgument("unknown compareFunction '" + std::string(name) + "'");
}

Result<ComparisonMeasure> ParseComparisonMeasure(pugi::xml_node comparison) {
  if (!comparison) return InvalidArgument("the model has no ComparisonMeasure");
  ComparisonMeasure spec;
  bool found = false;
  for (pugi::xml_node c = comparison.first_child(); c && !found; c = c.next_sibling()) {
    std::string_view name = LocalName(c);
    found = true;
    if (name == "euclidean") {
      spec.measure = CMeasure::kEuclidean;
    } else if (name == "squaredEuclidean") {
      spec.measure = CMeasure::kSquaredEuclidean;
    } else if (name == "chebychev") {
      spec.measure = CMeasure::kChebychev;
    } else if (name == "cityBlock") {
      spec.measure = CMeasure::kCityBlock;
    } else if (name == "minkowski") {
      spec.measure = CMeasure::kMinkowski;
      ASSIGN_OR_RETURN(spec.p, NumberAttr(c, "p-parameter", 2));
      if (!(spec.p > 0)) return InvalidArgument("minkowski needs a positive p-parameter");
    } else if (name == "simpleMatching") {
      spec.measure = CMeasure::kSimpleMatching;
    } else if (name == "jaccard") {
      spec.measure = CMeasure::kJaccard;
    } else if (name == "tanimoto") {
      spec.measure = CMeasure::kTanimoto;
    } else if (name == "binarySimilarity") {
      spec.measure = CMeasure::kBinarySimilarity;
      for (auto [attr, field] : {std::pair{"c00-parameter", &spec.c00}, std::pair{"c01-parameter", &spec.c01},
                                 std::pair{"c10-parameter", &spec.c10}, std::pair{"c11-parameter", &spec.c11},
                                 std::pair{"d00-parameter", &spec.d00}, std::pair{"d01-parameter", &spec.d01},
                                 std::pair{"d10-parameter", &spec.d10}, std::pair{"d11-parameter", &spec.d11}}) {
        ASSIGN_OR_RETURN(*field, RequiredNumberAttr(c, attr));
      }
    } else {
      found = false;
    }
  }
  if (!found) return InvalidArgument("the ComparisonMeasure names no measure");
  std::string_view kind = Attr(comparison, "kind", "distance");
  if ((kind == "similarity") != spec.is_similarity()) {
    return InvalidArgument("ComparisonMeasure kind='" + std::string(kind) + "' does not match its measure");
  }
  return spec;
}

}  // namespace mlserving::formats::pmml
