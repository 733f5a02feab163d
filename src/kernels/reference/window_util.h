#pragma once

// Sliding-window geometry shared by the convolution and pooling kernels: the kernel_shape /
// strides / dilations / pads / auto_pad / ceil_mode attributes, output sizes, and the im2col /
// col2im coordinate tables.

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "ir/graph.h"

namespace mlserving::kernels::reference {

/// The auto_pad attribute.
enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

/// The window attributes of a Conv / ConvTranspose / pooling node, validated once by the factory.
/// Empty vectors mean "not given" (defaults are applied by ResolveWindow once the spatial rank is
/// known); a non-empty one holds one entry per spatial dim (pads: begins then ends).
struct WindowAttrs {
  AutoPad auto_pad = AutoPad::kNotSet;
  std::vector<int64_t> kernel;
  std::vector<int64_t> strides;
  std::vector<int64_t> dilations;
  std::vector<int64_t> pads;
  bool ceil_mode = false;
};

/// Reads and validates the window attributes of `node` (positive kernel/strides/dilations,
/// non-negative pads, consistent lengths). `kernel_required` is true for the pooling ops.
/// kUnimplemented for an unknown auto_pad, kInvalidArgument for inconsistent values.
Result<WindowAttrs> ReadWindowAttrs(const ir::Node& node, bool kernel_required);

/// The resolved geometry of one window op for one input: every vector has one entry per spatial
/// dim. `out` is the number of window positions along each dim.
struct WindowGeometry {
  std::vector<int64_t> in, out, kernel, strides, dilations, pad_begin, pad_end;
  size_t rank() const { return in.size(); }
};

/// Resolves `attrs` against the spatial dims `in` and the kernel `kernel` (which overrides
/// attrs.kernel; they must agree when both are given). Output sizes follow ONNX: floor (or ceil
/// with ceil_mode, never starting a window in the end padding) of the padded span over the
/// stride, plus one; SAME_* gives ceil(in / stride) with the extra pad at the end (UPPER) or the
/// beginning (LOWER). kInvalidArgument when a window does not fit.
Result<WindowGeometry> ResolveWindow(const WindowAttrs& attrs, const std::vector<int64_t>& kernel,
                                     const std::vector<int64_t>& in);

/// For each spatial dim d, kernel offset k and grid position p: the image coordinate
/// p * stride - pad_begin + k * dilation, or -1 when it lies outside [0, image[d]). Used by
/// im2col (image = conv input, grid = conv output) and col2im (image = transposed-conv output,
/// grid = its input). Indexed [d][k * grid[d] + p].
std::vector<std::vector<int64_t>> WindowCoordinateTables(
    const std::vector<int64_t>& image, const std::vector<int64_t>& grid, const std::vector<int64_t>& kernel,
    const std::vector<int64_t>& strides, const std::vector<int64_t>& dilations, const std::vector<int64_t>& pad_begin);

/// Advances the row-major multi-index `index` within `dims`; false after the last one.
inline bool NextIndex(std::vector<int64_t>& index, const std::vector<int64_t>& dims) {
  for (size_t d = index.size(); d-- > 0;) {
    if (++index[d] < dims[d]) return true;
    index[d] = 0;
  }
  return false;
}

/// Product of all entries (1 for an empty vector).
inline int64_t Product(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (int64_t x : v) p *= x;
  return p;
}

/// "[a,b,c]" for error messages.
std::string IntsToString(const std::vector<int64_t>& v);

}  // namespace mlserving::kernels::reference
