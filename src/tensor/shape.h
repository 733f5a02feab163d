#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlserving {

/// Dimensions of a tensor, outermost first. In a signature, -1 marks a dynamic dimension;
/// a concrete tensor's shape has no negative dims.
using Shape = std::vector<int64_t>;

inline constexpr int64_t kDynamicDim = -1;

/// Product of the dims (1 for a scalar). Returns nullopt on overflow or a negative dim.
std::optional<int64_t> CheckedNumElements(const Shape& shape);
/// Product of the dims; precondition: every dim is >= 0 and the product fits.
int64_t NumElements(const Shape& shape);
/// "[2,-1,3]".
std::string ShapeToString(const Shape& shape);
/// True when `concrete` has the rank of `pattern` and agrees with it on every fixed dim.
bool ShapeMatches(const Shape& pattern, const Shape& concrete);

}  // namespace mlserving
