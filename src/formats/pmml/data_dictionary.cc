#include "formats/pmml/data_dictionary.h"

#include <cmath>

#include "formats/pmml/xml.h"

namespace mlserving::formats::pmml {

bool Interval::Contains(double v) const {
  bool above = left_closed ? v >= left : v > left;
  bool below = right_closed ? v <= right : v < right;
  return above && below;
}

Validity DataField::Classify(const Value& raw, Value* typed) const {
  if (raw.missing()) return Validity::kMissing;
  if (raw.is_number() && std::isnan(raw.number())) return Validity::kMissing;
  for (const Value& m : missing_values) {
    if (m.Equals(raw)) return Validity::kMissing;
  }
  std::optional<Value> cast = CastValue(raw, data_type);
  if (!cast) {
    *typed = raw;
    return Validity::kInvalid;
  }
  // A text that reads as NaN ("NaN") is missing, like a NaN number.
  if (cast->is_number() && std::isnan(cast->number())) return Validity::kMissing;
  *typed = std::move(*cast);
  for (const Value& v : invalid_values) {
    if (v.Equals(*typed)) return Validity::kInvalid;
  }
  bool listed = false;
  for (const Value& v : valid_values) {
    if (v.Equals(*typed)) {
      listed = true;
      break;
    }
  }
  if (listed) return Validity::kValid;
  if (op_type == OpType::kContinuous) {
    if (intervals.empty()) return Validity::kValid;
    std::optional<double> x = typed->AsNumber();
    if (!x) return Validity::kInvalid;
    for (const Interval& i : intervals) {
      if (i.Contains(*x)) return Validity::kValid;
    }
    return Validity::kInvalid;
  }
  return valid_values.empty() ? Validity::kValid : Validity::kInvalid;
}

int DataDictionary::Find(std::string_view name) const {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

Status ParseDomain(pugi::xml_node node, DataField& field) {
  for (pugi::xml_node v : Children(node, "Value")) {
    std::string_view text = Attr(v, "value");
    std::string_view property = Attr(v, "property", "valid");
    Value raw = Value::String(std::string(text));
    std::optional<Value> typed = CastValue(raw, field.data_type);
    Value value = typed ? *typed : raw;
    if (property == "valid") {
      field.valid_values.push_back(value);
    } else if (property == "invalid") {
      field.invalid_values.push_back(value);
    } else if (property == "missing") {
      field.missing_values.push_back(raw);
    } else {
      return InvalidArgument(Describe(node) + ": <Value property=\"" + std::string(property) +
                             "\"> is not one of valid, invalid, missing");
    }
  }
  for (pugi::xml_node i : Children(node, "Interval")) {
    Interval interval{-HUGE_VAL, HUGE_VAL};
    ASSIGN_OR_RETURN(interval.left, NumberAttr(i, "leftMargin", -HUGE_VAL));
    ASSIGN_OR_RETURN(interval.right, NumberAttr(i, "rightMargin", HUGE_VAL));
    std::string_view closure = Attr(i, "closure", "closedClosed");
    if (closure == "openClosed") {
      interval.left_closed = false;
    } else if (closure == "openOpen") {
      interval.left_closed = interval.right_closed = false;
    } else if (closure == "closedOpen") {
      interval.right_closed = false;
    } else if (closure != "closedClosed") {
      return InvalidArgument(Describe(node) + ": Interval closure '" + std::string(closure) + "' is not valid");
    }
    field.intervals.push_back(interval);
  }
  return Status::Ok();
}

Result<DataDictionary> ParseDataDictionary(pugi::xml_node node) {
  DataDictionary dict;
  if (!node) return InvalidArgument("the PMML document has no <DataDictionary>; every PMML model needs one");
  for (pugi::xml_node f : Children(node, "DataField")) {
    DataField field;
    ASSIGN_OR_RETURN(field.name, RequiredAttr(f, "name"));
    std::string_view dt = Attr(f, "dataType", "string");
    std::optional<DataType> data_type = ParseDataType(dt);
    if (!data_type) {
      return InvalidArgument("DataField '" + field.name + "' has the unknown dataType '" + std::string(dt) + "'");
    }
    field.data_type = *data_type;
    std::string_view ot = Attr(f, "optype", IsNumeric(field.data_type) ? "continuous" : "categorical");
    std::optional<OpType> op_type = ParseOpType(ot);
    if (!op_type) {
      return InvalidArgument("DataField '" + field.name + "' has the unknown optype '" + std::string(ot) + "'");
    }
    field.op_type = *op_type;
    RETURN_IF_ERROR(ParseDomain(f, field).WithContext("DataField '" + field.name + "'"));
    if (dict.Find(field.name) >= 0) {
      return InvalidArgument("the DataDictionary declares the field '" + field.name + "' twice");
    }
    dict.fields.push_back(std::move(field));
  }
  return dict;
}

}  // namespace mlserving::formats::pmml
