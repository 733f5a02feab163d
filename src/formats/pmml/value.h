#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mlserving::formats::pmml {

/// PMML dataType (DataField, DerivedField, OutputField, Constant). Dates and times are carried as
/// their ISO-8601 text and parsed by the date functions that need them.
enum class DataType : uint8_t { kString, kInteger, kFloat, kDouble, kBoolean, kDate, kTime, kDateTime };

/// PMML optype.
enum class OpType : uint8_t { kCategorical, kOrdinal, kContinuous };

/// Parses a dataType attribute ("double", "integer", "dateDaysSince[1970]", …); nullopt when unknown.
std::optional<DataType> ParseDataType(std::string_view text);
std::string_view DataTypeName(DataType type);
std::optional<OpType> ParseOpType(std::string_view text);
inline bool IsNumeric(DataType t) { return t == DataType::kInteger || t == DataType::kFloat || t == DataType::kDouble; }

/// Parses a whole string as a double (leading/trailing blanks allowed, "NaN"/"INF" accepted).
std::optional<double> ParseNumber(std::string_view text);
/// Formats a number the way PMML consumers expect in string contexts: integral values without a
/// fraction ("3"), others in the shortest round-trip form ("0.1").
std::string FormatNumber(double value);

/// A small tagged value: missing, a number (integers are carried as doubles), a string or a bool.
/// Values are what expressions, predicates and models compute on; a row of fields is a vector of them.
class Value {
 public:
  enum class Kind : uint8_t { kMissing, kNumber, kString, kBool };

  Value() = default;
  static Value Missing() { return Value(); }
  static Value Number(double v) {
    Value r;
    r.kind_ = Kind::kNumber;
    r.number_ = v;
    return r;
  }
  static Value String(std::string v) {
    Value r;
    r.kind_ = Kind::kString;
    r.string_ = std::move(v);
    return r;
  }
  static Value Bool(bool v) {
    Value r;
    r.kind_ = Kind::kBool;
    r.number_ = v ? 1.0 : 0.0;
    return r;
  }

  Kind kind() const { return kind_; }
  bool missing() const { return kind_ == Kind::kMissing; }
  bool is_number() const { return kind_ == Kind::kNumber; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  /// Precondition: is_number() or is_bool().
  double number() const { return number_; }
  /// Precondition: is_string().
  const std::string& string() const { return string_; }

  /// The numeric reading: numbers as is, bools as 0/1, strings parsed; nullopt when missing or not numeric.
  std::optional<double> AsNumber() const;
  /// The boolean reading: bools, numbers (non-zero), "true"/"false" (also "1"/"0"); nullopt otherwise.
  std::optional<bool> AsBool() const;
  /// The string reading: strings as is, numbers via FormatNumber, bools "true"/"false"; "" when missing.
  std::string AsString() const;

  /// Equality across kinds the way PMML compares a field with a constant: numerically when both
  /// sides read as numbers, else by string. Missing equals nothing.
  bool Equals(const Value& other) const;
  /// Three-way comparison (numeric when possible, else lexicographic); nullopt when either is missing.
  std::optional<int> Compare(const Value& other) const;

 private:
  Kind kind_ = Kind::kMissing;
  double number_ = 0.0;
  std::string string_;
};

/// Converts `value` to `type`: numbers for integer/float/double (float rounds to single precision),
/// strings for string/date types, bools for boolean. Returns nullopt when the value cannot be read
/// as that type (an invalid value); missing stays missing.
std::optional<Value> CastValue(const Value& value, DataType type);

}  // namespace mlserving::formats::pmml
