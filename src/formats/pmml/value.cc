#include "formats/pmml/value.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace mlserving::formats::pmml {

std::optional<DataType> ParseDataType(std::string_view t) {
  if (t == "string") return DataType::kString;
  if (t == "integer") return DataType::kInteger;
  if (t == "float") return DataType::kFloat;
  if (t == "double" || t == "real" || t == "number") return DataType::kDouble;
  if (t == "boolean") return DataType::kBoolean;
  if (t == "date") return DataType::kDate;
  if (t == "time") return DataType::kTime;
  if (t == "dateTime") return DataType::kDateTime;
  // The "…Since[YEAR]" and "timeSeconds" types are numbers (days or seconds).
  if (t.starts_with("dateDaysSince") || t.starts_with("dateTimeSecondsSince") || t == "timeSeconds") {
    return DataType::kInteger;
  }
  return std::nullopt;
}

std::string_view DataTypeName(DataType type) {
  switch (type) {
    case DataType::kString: return "string";
    case DataType::kInteger: return "integer";
    case DataType::kFloat: return "float";
    case DataType::kDouble: return "double";
    case DataType::kBoolean: return "boolean";
    case DataType::kDate: return "date";
    case DataType::kTime: return "time";
    case DataType::kDateTime: return "dateTime";
  }
  return "?";
}

std::optional<OpType> ParseOpType(std::string_view t) {
  if (t == "categorical") return OpType::kCategorical;
  if (t == "ordinal") return OpType::kOrdinal;
  if (t == "continuous") return OpType::kContinuous;
  return std::nullopt;
}

std::optional<double> ParseNumber(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\n' || text.front() == '\r'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n' || text.back() == '\r'))
    text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  if (text.front() == '+') text.remove_prefix(1);
  if (text == "NaN") return std::nan("");
  if (text == "INF" || text == "Infinity") return HUGE_VAL;
  if (text == "-INF" || text == "-Infinity") return -HUGE_VAL;
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

std::string FormatNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  if (v == std::trunc(v) && std::fabs(v) < 1e15) {
    auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), static_cast<long long>(v));
    return std::string(buf, ptr);
  }
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, ptr);
}

std::optional<double> Value::AsNumber() const {
  switch (kind_) {
    case Kind::kNumber:
    case Kind::kBool: return number_;
    case Kind::kString: return ParseNumber(string_);
    case Kind::kMissing: return std::nullopt;
  }
  return std::nullopt;
}

std::optional<bool> Value::AsBool() const {
  switch (kind_) {
    case Kind::kNumber:
    case Kind::kBool: return number_ != 0.0;
    case Kind::kString:
      if (string_ == "true" || string_ == "TRUE" || string_ == "True" || string_ == "1") return true;
      if (string_ == "false" || string_ == "FALSE" || string_ == "False" || string_ == "0") return false;
      return std::nullopt;
    case Kind::kMissing: return std::nullopt;
  }
  return std::nullopt;
}

std::string Value::AsString() const {
  switch (kind_) {
    case Kind::kNumber: return FormatNumber(number_);
    case Kind::kBool: return number_ != 0.0 ? "true" : "false";
    case Kind::kString: return string_;
    case Kind::kMissing: return "";
  }
  return "";
}

std::optional<int> Value::Compare(const Value& other) const {
  if (missing() || other.missing()) return std::nullopt;
  if (kind_ == Kind::kString && other.kind_ == Kind::kString) {
    int c = string_.compare(other.string_);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  std::optional<double> a = AsNumber(), b = other.AsNumber();
  if (a && b) return *a < *b ? -1 : (*a > *b ? 1 : 0);
  int c = AsString().compare(other.AsString());
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

bool Value::Equals(const Value& other) const {
  std::optional<int> c = Compare(other);
  return c && *c == 0;
}

std::optional<Value> CastValue(const Value& value, DataType type) {
  if (value.missing()) return value;
  switch (type) {
    case DataType::kInteger: {
      std::optional<double> v = value.AsNumber();
      if (!v) return std::nullopt;
      if (*v != std::trunc(*v) && std::isfinite(*v)) return std::nullopt;
      return Value::Number(*v);
    }
    case DataType::kFloat: {
      std::optional<double> v = value.AsNumber();
      if (!v) return std::nullopt;
      return Value::Number(static_cast<double>(static_cast<float>(*v)));
    }
    case DataType::kDouble: {
      std::optional<double> v = value.AsNumber();
      if (!v) return std::nullopt;
      return Value::Number(*v);
    }
    case DataType::kBoolean: {
      std::optional<bool> b = value.AsBool();
      if (!b) return std::nullopt;
      return Value::Bool(*b);
    }
    case DataType::kString:
    case DataType::kDate:
    case DataType::kTime:
    case DataType::kDateTime:
      if (value.is_string()) return value;
      return Value::String(value.AsString());
  }
  return std::nullopt;
}

}  // namespace mlserving::formats::pmml
