#include "formats/pmml/targets.h"

#include "formats/pmml/xml.h"

namespace mlserving::formats::pmml {

double Target::Apply(double v) const {
  if (v < min) v = min;
  if (v > max) v = max;
  v = v * rescale_factor + rescale_constant;
  switch (cast_integer) {
    case CastInteger::kNone: break;
    case CastInteger::kRound: v = std::floor(v + 0.5); break;
    case CastInteger::kCeiling: v = std::ceil(v); break;
    case CastInteger::kFloor: v = std::floor(v); break;
  }
  return v;
}

const TargetValue* Target::Find(const Value& v) const {
  for (const TargetValue& t : values) {
    if (t.value.Equals(v)) return &t;
  }
  return nullptr;
}

Value Target::DefaultValue() const {
  for (const TargetValue& t : values) {
    if (!t.default_value.missing()) return t.default_value;
  }
  return Value::Missing();
}

bool Target::has_priors() const {
  for (const TargetValue& t : values) {
    if (!std::isnan(t.prior_probability)) return true;
  }
  return false;
}

const Target* Targets::Find(const std::string& field) const {
  for (const Target& t : targets) {
    if (t.field == field) return &t;
  }
  for (const Target& t : targets) {
    if (t.field.empty()) return &t;
  }
  return targets.size() == 1 ? &targets[0] : nullptr;
}

Result<Targets> ParseTargets(pugi::xml_node node) {
  Targets out;
  for (pugi::xml_node t : Children(node, "Target")) {
    Target target;
    target.field = std::string(Attr(t, "field"));
    ASSIGN_OR_RETURN(target.min, NumberAttr(t, "min", -HUGE_VAL));
    ASSIGN_OR_RETURN(target.max, NumberAttr(t, "max", HUGE_VAL));
    ASSIGN_OR_RETURN(target.rescale_factor, NumberAttr(t, "rescaleFactor", 1.0));
    ASSIGN_OR_RETURN(target.rescale_constant, NumberAttr(t, "rescaleConstant", 0.0));
    std::string_view cast = Attr(t, "castInteger");
    if (cast == "round") {
      target.cast_integer = Target::CastInteger::kRound;
    } else if (cast == "ceiling") {
      target.cast_integer = Target::CastInteger::kCeiling;
    } else if (cast == "floor") {
      target.cast_integer = Target::CastInteger::kFloor;
    } else if (!cast.empty()) {
      return InvalidArgument(Describe(t) + ": castInteger must be round, ceiling or floor, not '" + std::string(cast) +
                             "'");
    }
    for (pugi::xml_node v : Children(t, "TargetValue")) {
      TargetValue tv;
      if (HasAttr(v, "value")) tv.value = Value::String(std::string(Attr(v, "value")));
      tv.display_value = std::string(Attr(v, "displayValue"));
      ASSIGN_OR_RETURN(tv.prior_probability, NumberAttr(v, "priorProbability", std::nan("")));
      if (HasAttr(v, "defaultValue")) {
        ASSIGN_OR_RETURN(double d, NumberAttr(v, "defaultValue", 0));
        tv.default_value = Value::Number(d);
      }
      target.values.push_back(std::move(tv));
    }
    out.targets.push_back(std::move(target));
  }
  return out;
}

}  // namespace mlserving::formats::pmml
