#include "formats/pmml/scorecard.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "formats/pmml/compiler.h"
#include "formats/pmml/xml.h"

namespace mlserving::formats::pmml {

Scorecard::Scorecard(ModelInfo info, std::vector<Characteristic> characteristics, std::vector<Attribute> attributes,
                     std::vector<std::string> reason_codes, double initial_score, bool use_reason_codes,
                     bool points_above)
    : Model(std::move(info)),
      characteristics_(std::move(characteristics)),
      attributes_(std::move(attributes)),
      reason_codes_(std::move(reason_codes)),
      initial_score_(initial_score),
      use_reason_codes_(use_reason_codes),
      points_above_(points_above) {}

Status Scorecard::Score(EvalContext& ctx, Prediction& out) const {
  // Per-thread scratch: points per reason code and the ranking order.
  thread_local std::vector<double> points;
  thread_local std::vector<char> seen;
  thread_local std::vector<size_t> order;
  points.assign(reason_codes_.size(), 0.0);
  seen.assign(reason_codes_.size(), 0);
  double score = initial_score_;
  for (const Characteristic& c : characteristics_) {
    const Attribute* match = nullptr;
    for (int32_t i = c.begin; i < c.begin + c.count && !match; ++i) {
      if (attributes_[static_cast<size_t>(i)].predicate.Evaluate(ctx) == Tri::kTrue) {
        match = &attributes_[static_cast<size_t>(i)];
      }
    }
    if (!match) return Status::Ok();
    double partial = match->partial_score;
    if (match->complex) {
      std::optional<double> v = match->complex->Eval(ctx).AsNumber();
      if (!v) return Status::Ok();
      partial = *v;
    }
    score += partial;
    if (use_reason_codes_ && match->reason_code >= 0) {
      points[static_cast<size_t>(match->reason_code)] += points_above_ ? partial - c.baseline : c.baseline - partial;
      seen[static_cast<size_t>(match->reason_code)] = 1;
    }
  }
  out.value = Value::Number(score);
  if (!use_reason_codes_) return Status::Ok();
  // Only codes of matched attributes whose summed difference is not negative are reasons (as in
  // jpmml; pmml4s also drops zero and pads missing ranks with the last code).
  order.clear();
  for (size_t i = 0; i < reason_codes_.size(); ++i) {
    if (seen[i] && points[i] >= 0) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return points[a] > points[b]; });
  out.reason_codes.resize(order.size());
  for (size_t i = 0; i < order.size(); ++i) out.reason_codes[i] = reason_codes_[order[i]];
  return Status::Ok();
}

Result<std::unique_ptr<Model>> CompileScorecard(ModelCompileContext& ctx) {
  if (ctx.info.function != MiningFunction::kRegression) {
    return Unimplemented("Scorecard with functionName other than regression");
  }
  ASSIGN_OR_RETURN(double initial, NumberAttr(ctx.node, "initialScore", 0));
  bool use_reason_codes = Attr(ctx.node, "useReasonCodes", "true") != "false";
  std::string_view algorithm = Attr(ctx.node, "reasonCodeAlgorithm", "pointsBelow");
  if (algorithm != "pointsBelow" && algorithm != "pointsAbove") {
    return InvalidArgument("unknown reasonCodeAlgorithm '" + std::string(algorithm) + "'");
  }
  ASSIGN_OR_RETURN(double model_baseline, NumberAttr(ctx.node, "baselineScore", std::nan("")));
  std::vector<Scorecard::Characteristic> characteristics;
  std::vector<Scorecard::Attribute> attributes;
  std::vector<std::string> codes;
  auto code_index = [&](std::string_view code) {
    for (size_t i = 0; i < codes.size(); ++i) {
      if (codes[i] == code) return static_cast<int>(i);
    }
    codes.emplace_back(code);
    return static_cast<int>(codes.size() - 1);
  };
  for (pugi::xml_node c : Children(Child(ctx.node, "Characteristics"), "Characteristic")) {
    std::string name(Attr(c, "name"));
    Scorecard::Characteristic ch;
    ASSIGN_OR_RETURN(ch.baseline, NumberAttr(c, "baselineScore", model_baseline));
    if (use_reason_codes && std::isnan(ch.baseline)) {
      return InvalidArgument("Characteristic '" + name + "' has no baselineScore (and the Scorecard none)");
    }
    ch.begin = static_cast<int32_t>(attributes.size());
    for (pugi::xml_node a : Children(c, "Attribute")) {
      Scorecard::Attribute attr;
      Result<Predicate> p = CompilePredicateChild(a, ctx.scope);
      if (!p.ok()) return p.status().WithContext("Characteristic '" + name + "'");
      attr.predicate = std::move(p).value();
      if (pugi::xml_node complex = Child(a, "ComplexPartialScore")) {
        Result<std::unique_ptr<Expression>> e = CompileExpressionChild(complex, ctx.scope);
        if (!e.ok()) return e.status().WithContext("Characteristic '" + name + "' ComplexPartialScore");
        attr.complex = ctx.compiler.Own(std::move(e).value());
      } else {
        if (!HasAttr(a, "partialScore")) {
          return InvalidArgument("an Attribute of Characteristic '" + name + "' has no partialScore");
        }
        ASSIGN_OR_RETURN(attr.partial_score, RequiredNumberAttr(a, "partialScore"));
      }
      std::string_view code = HasAttr(a, "reasonCode") ? Attr(a, "reasonCode") : Attr(c, "reasonCode");
      if (use_reason_codes) {
        if (code.empty()) return InvalidArgument("Characteristic '" + name + "' has an Attribute without reasonCode");
        attr.reason_code = code_index(code);
      }
      attributes.push_back(std::move(attr));
    }
    ch.count = static_cast<int32_t>(attributes.size()) - ch.begin;
    characteristics.push_back(ch);
  }
  if (characteristics.empty()) return InvalidArgument("the Scorecard has no Characteristic");
  return std::unique_ptr<Model>(new Scorecard(std::move(ctx.info), std::move(characteristics), std::move(attributes),
                                              std::move(codes), initial, use_reason_codes, algorithm == "pointsAbove"));
}

}  // namespace mlserving::formats::pmml
