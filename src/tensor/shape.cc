#include "tensor/shape.h"

namespace mlserving {

std::optional<int64_t> CheckedNumElements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return std::nullopt;
    if (d != 0 && n > INT64_MAX / d) return std::nullopt;
    n *= d;
  }
  return n;
}

int64_t NumElements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string ShapeToString(const Shape& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) out += ",";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

bool ShapeMatches(const Shape& pattern, const Shape& concrete) {
  if (pattern.size() != concrete.size()) return false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] >= 0 && pattern[i] != concrete[i]) return false;
  }
  return true;
}

}  // namespace mlserving
