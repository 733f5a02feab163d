#include "formats/pmml/model_util.h"

#include <string>

#include "formats/pmml/compiler.h"
#include "formats/pmml/xml.h"

namespace mlserving::formats::pmml {

Value ConstantLike(Compiler& compiler, Slot slot, std::string_view text) {
  Value raw = Value::String(std::string(text));
  if (slot == kNoSlot) return raw;
  std::optional<Value> cast = CastValue(raw, compiler.table().slots[static_cast<size_t>(slot)].data_type);
  return cast && !cast->missing() ? *cast : raw;
}

Result<std::vector<double>> NumberArray(pugi::xml_node array) {
  if (!array) return InvalidArgument("an <Array> is missing");
  std::vector<double> out;
  for (const std::string& item : SplitArray(array.child_value())) {
    std::optional<double> v = ParseNumber(item);
    if (!v) return InvalidArgument("the <Array> item '" + item + "' is not a number");
    out.push_back(*v);
  }
  if (HasAttr(array, "n")) {
    ASSIGN_OR_RETURN(double n, NumberAttr(array, "n", 0));
    if (n != static_cast<double>(out.size())) {
      return InvalidArgument("an <Array> declares n=" + FormatNumber(n) + " but holds " + std::to_string(out.size()) +
                             " items");
    }
  }
  return out;
}

size_t ArgMax(const std::vector<double>& v) {
  size_t best = 0;
  for (size_t i = 1; i < v.size(); ++i) {
    if (v[i] > v[best]) best = i;
  }
  return best;
}

}  // namespace mlserving::formats::pmml
