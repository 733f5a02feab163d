#pragma once

// oneDNN memory descriptors of the channel-blocked layout (kernels/blocked_layout.h).

#include <optional>

#include <oneapi/dnnl/dnnl.hpp>

namespace mlserving::kernels::onednn {

/// The f32 descriptor of logical dims [N, C, spatial…] (rank 3 to 5) stored channel-blocked by
/// `block`: channels-last (nwc, nhwc, ndhwc) when block = C, else nCw{b}c, nChw{b}c, nCdhw{b}c;
/// nullopt for another block (only 8 and 16 have oneDNN tags) or another rank.
inline std::optional<dnnl::memory::desc> BlockedDesc(const dnnl::memory::dims& dims, int64_t block) {
  using Tag = dnnl::memory::format_tag;
  Tag tag;
  if (dims.size() >= 2 && block == dims[1]) {
    if (dims.size() < 3 || dims.size() > 5) return std::nullopt;
    tag = dims.size() == 3 ? Tag::nwc : dims.size() == 4 ? Tag::nhwc : Tag::ndhwc;
  } else if (block == 8 && dims.size() == 3) {
    tag = Tag::nCw8c;
  } else if (block == 8 && dims.size() == 4) {
    tag = Tag::nChw8c;
  } else if (block == 8 && dims.size() == 5) {
    tag = Tag::nCdhw8c;
  } else if (block == 16 && dims.size() == 3) {
    tag = Tag::nCw16c;
  } else if (block == 16 && dims.size() == 4) {
    tag = Tag::nChw16c;
  } else if (block == 16 && dims.size() == 5) {
    tag = Tag::nCdhw16c;
  } else {
    return std::nullopt;
  }
  return dnnl::memory::desc(dims, dnnl::memory::data_type::f32, tag);
}

}  // namespace mlserving::kernels::onednn
