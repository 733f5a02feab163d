#include "kernels/reference/window_util.h"

#include <algorithm>

namespace mlserving::kernels::reference {

std::string IntsToString(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

Result<WindowAttrs> ReadWindowAttrs(const ir::Node& node, bool kernel_required) {
  WindowAttrs attrs;
  const std::string auto_pad = node.GetString("auto_pad", "NOTSET");
  if (auto_pad == "NOTSET" || auto_pad.empty()) {
    attrs.auto_pad = AutoPad::kNotSet;
  } else if (auto_pad == "SAME_UPPER") {
    attrs.auto_pad = AutoPad::kSameUpper;
  } else if (auto_pad == "SAME_LOWER") {
    attrs.auto_pad = AutoPad::kSameLower;
  } else if (auto_pad == "VALID") {
    attrs.auto_pad = AutoPad::kValid;
  } else {
    return Unimplemented("auto_pad '" + auto_pad + "' is not supported");
  }
  attrs.kernel = node.GetInts("kernel_shape");
  attrs.strides = node.GetInts("strides");
  attrs.dilations = node.GetInts("dilations");
  attrs.pads = node.GetInts("pads");
  attrs.ceil_mode = node.GetInt("ceil_mode", 0) != 0;
  if (kernel_required && attrs.kernel.empty()) return InvalidArgument("kernel_shape is required");
  size_t rank = attrs.kernel.size();
  auto check = [&](const std::vector<int64_t>& v, const char* name, size_t per_dim, int64_t min) -> Status {
    if (v.empty()) return Status::Ok();
    if (v.size() % per_dim != 0) return InvalidArgument(std::string(name) + " has an odd number of entries");
    if (rank == 0) rank = v.size() / per_dim;
    if (v.size() != rank * per_dim) {
      return InvalidArgument(std::string(name) + " " + IntsToString(v) + " does not match the spatial rank " +
                             std::to_string(rank));
    }
    for (int64_t x : v) {
      if (x < min) return InvalidArgument(std::string(name) + " " + IntsToString(v) + " has an invalid entry");
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(check(attrs.kernel, "kernel_shape", 1, 1));
  RETURN_IF_ERROR(check(attrs.strides, "strides", 1, 1));
  RETURN_IF_ERROR(check(attrs.dilations, "dilations", 1, 1));
  RETURN_IF_ERROR(check(attrs.pads, "pads", 2, 0));
  return attrs;
}

Result<WindowGeometry> ResolveWindow(const WindowAttrs& attrs, const std::vector<int64_t>& kernel,
                                     const std::vector<int64_t>& in) {
  const size_t rank = in.size();
  WindowGeometry g;
  g.in = in;
  g.kernel = kernel;
  if (!attrs.kernel.empty() && attrs.kernel != kernel) {
    return InvalidArgument("kernel_shape " + IntsToString(attrs.kernel) + " does not match the weights " +
                           IntsToString(kernel));
  }
  auto fits = [rank](const std::vector<int64_t>& v, size_t per_dim) { return v.empty() || v.size() == rank * per_dim; };
  if (kernel.size() != rank || !fits(attrs.strides, 1) || !fits(attrs.dilations, 1) || !fits(attrs.pads, 2)) {
    return InvalidArgument("window attributes do not match the " + std::to_string(rank) + " spatial dims of the input");
  }
  for (int64_t k : kernel) {
    if (k < 1) return InvalidArgument("kernel dims must be positive, got " + IntsToString(kernel));
  }
  g.strides = attrs.strides.empty() ? std::vector<int64_t>(rank, 1) : attrs.strides;
  g.dilations = attrs.dilations.empty() ? std::vector<int64_t>(rank, 1) : attrs.dilations;
  g.pad_begin.assign(rank, 0);
  g.pad_end.assign(rank, 0);
  g.out.assign(rank, 0);
  for (size_t d = 0; d < rank; ++d) {
    const int64_t s = g.strides[d];
    const int64_t effective = (kernel[d] - 1) * g.dilations[d] + 1;
    switch (attrs.auto_pad) {
      case AutoPad::kSameUpper:
      case AutoPad::kSameLower: {
        g.out[d] = (in[d] + s - 1) / s;
        const int64_t total = std::max<int64_t>(0, (g.out[d] - 1) * s + effective - in[d]);
        const int64_t small = total / 2;
        g.pad_begin[d] = attrs.auto_pad == AutoPad::kSameUpper ? small : total - small;
        g.pad_end[d] = total - g.pad_begin[d];
        break;
      }
      case AutoPad::kValid:
      case AutoPad::kNotSet: {
        if (attrs.auto_pad == AutoPad::kNotSet && !attrs.pads.empty()) {
          g.pad_begin[d] = attrs.pads[d];
          g.pad_end[d] = attrs.pads[d + rank];
        }
        const int64_t span = in[d] + g.pad_begin[d] + g.pad_end[d] - effective;
        if (span < 0) {
          return InvalidArgument("the window (kernel " + IntsToString(kernel) + ", dilations " +
                                 IntsToString(g.dilations) + ") is larger than the padded input " + IntsToString(in));
        }
        g.out[d] = (attrs.ceil_mode ? (span + s - 1) / s : span / s) + 1;
        // A window must start inside the input or the begin padding (as PyTorch and ONNX >= 19).
        if (attrs.ceil_mode && (g.out[d] - 1) * s >= in[d] + g.pad_begin[d]) --g.out[d];
        break;
      }
    }
  }
  return g;
}

std::vector<std::vector<int64_t>> WindowCoordinateTables(
    const std::vector<int64_t>& image, const std::vector<int64_t>& grid, const std::vector<int64_t>& kernel,
    const std::vector<int64_t>& strides, const std::vector<int64_t>& dilations, const std::vector<int64_t>& pad_begin) {
  std::vector<std::vector<int64_t>> tables(image.size());
  for (size_t d = 0; d < image.size(); ++d) {
    std::vector<int64_t>& t = tables[d];
    t.resize(static_cast<size_t>(kernel[d] * grid[d]));
    for (int64_t k = 0; k < kernel[d]; ++k) {
      for (int64_t p = 0; p < grid[d]; ++p) {
        const int64_t c = p * strides[d] - pad_begin[d] + k * dilations[d];
        t[static_cast<size_t>(k * grid[d] + p)] = c >= 0 && c < image[d] ? c : -1;
      }
    }
  }
  return tables;
}

}  // namespace mlserving::kernels::reference
