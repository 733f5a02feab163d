#pragma once

#include <pugixml.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "formats/pmml/value.h"

namespace mlserving::formats::pmml {

/// A numeric range of an <Interval>; infinite margins when absent.
struct Interval {
  double left;
  double right;
  bool left_closed = true;
  bool right_closed = true;
  bool Contains(double v) const;
};

/// How a raw value relates to a field's declared domain.
enum class Validity : uint8_t { kValid, kInvalid, kMissing };

/// One <DataField>: its type, optype and declared domain (Value and Interval children).
struct DataField {
  std::string name;
  DataType data_type = DataType::kString;
  OpType op_type = OpType::kCategorical;
  std::vector<Value> valid_values;  ///< property="valid" (or no property), in document order, typed
  std::vector<Value> invalid_values;
  std::vector<Value> missing_values;
  std::vector<Interval> intervals;

  /// Classifies `raw` (missing: absent, NaN, text that reads as NaN, a declared missing value) and,
  /// when it is valid or invalid-but-typeable, stores its typed form in `*typed`
  /// (a value that cannot be converted to data_type is invalid and stays as given).
  Validity Classify(const Value& raw, Value* typed) const;
};

/// The document's <DataDictionary>.
struct DataDictionary {
  std::vector<DataField> fields;
  /// Index of the field named `name`, or -1.
  int Find(std::string_view name) const;
};

/// Reads <DataDictionary>; errors name the offending field.
Result<DataDictionary> ParseDataDictionary(pugi::xml_node node);
/// Reads the Value/Interval children shared by DataField and (some) DerivedFields.
Status ParseDomain(pugi::xml_node node, DataField& field);

}  // namespace mlserving::formats::pmml
