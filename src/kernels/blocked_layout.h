#pragma once

// The channel-blocked activation layout that the graph optimizer's blocked_layout pass keeps
// between convolutions (oneDNN's nChw{b}c family, or channels-last NHWC when b = C), so that
// oneDNN does not reorder every convolution's source and destination.
//
// Contract: a blocked tensor is an ordinary Tensor. The plain [N, C, D1, …, Dk] (k = 1..3) is
// stored as [N, ceil(C / b), D1, …, Dk, b]; element (n, c, d…) sits at [n, c / b, d…, c % b]. The
// positions of channels c >= C ("padding channels") are zero when ToBlocked, BlockedConv or a
// blocked pool wrote them; the elementwise ops the pass lets run on blocked tensors map zero to
// zero (Relu, Add of two blocked tensors, …), so they stay zero. The logical channel count C is not
// stored: the ops that need it take it from an attribute (FromBlocked `channels`) or from their
// weights (BlockedConv). Every blocked op has the attribute `block` (b).
//
// b is either a fixed 8 or 16 for every tensor (oneDNN's nCw{b}c / nChw{b}c / nCdhw{b}c), or
// each tensor's own C ("channels-last": [N, 1, spatial…, C] is NHWC memory, no padding), whichever
// oneDNN's convolutions prefer on this CPU (PreferredChannelBlock()).
//
// The com.mlserving ops over this layout (reference kernels in reference/blocked_ops.cc; oneDNN
// ones in onednn/conv_ops.cc, onednn/pool_ops.cc and onednn/blocked_layout_ops.cc):
// - ToBlocked(X; block): plain → blocked, padding channels zero.
// - FromBlocked(X; block, channels): blocked → plain with `channels` channels.
// - BlockedConv(X, W, [B]; FusedConv's attributes, block, src_block): FusedConv with an output
//   blocked by `block`; X is blocked by `src_block` (its C is W's input channels × group), or
//   plain NCHW when src_block = 0 (the first convolution of a network, C = 3).
// - BlockedMaxPool, BlockedAveragePool, BlockedGlobalMaxPool, BlockedGlobalAveragePool(X; the
//   ONNX op's attributes, block): the ONNX pool over a blocked X (padding channels included,
//   they pool to zero), blocked output.

#include <cstdint>

#include "core/result.h"
#include "kernels/kernel.h"
#include "tensor/tensor.h"

namespace mlserving::kernels {

/// The attribute every blocked op carries: the channel block b.
inline constexpr const char* kBlockAttr = "block";

/// ceil(channels / block).
inline int64_t ChannelBlocks(int64_t channels, int64_t block) { return (channels + block - 1) / block; }

/// The blocked shape of the plain `plain` ([N, C, spatial…], rank >= 3).
Shape BlockedShape(const Shape& plain, int64_t block);

/// `plain` ([N, C, spatial…], rank 3 to 5, any fixed-size dtype) in the blocked layout, padding
/// channels zero; kInvalidArgument for another rank or a block < 1.
Result<Tensor> ToBlockedLayout(const KernelContext& ctx, const Tensor& plain, int64_t block);

/// The plain tensor of `channels` channels stored in the blocked `blocked` ([N, Cb, spatial…, b],
/// rank 4 to 6); kInvalidArgument unless Cb == ceil(channels / b).
Result<Tensor> FromBlockedLayout(const KernelContext& ctx, const Tensor& blocked, int64_t channels);

/// PreferredChannelBlock()'s answer for channels-last: each tensor one block of all its channels.
inline constexpr int64_t kChannelsLast = -1;

/// The block of a `channels`-channel tensor when the preferred block is `preferred` (8, 16 or
/// kChannelsLast).
inline int64_t BlockFor(int64_t preferred, int64_t channels) {
  return preferred == kChannelsLast ? channels : preferred;
}

/// The activation layout oneDNN's float32 convolutions prefer on this CPU, read once from the
/// layout a representative convolution (64 -> 64 channels, 3x3, 28x28) picks for its destination
/// when left free: 16 or 8 (nChw16c / nChw8c: the jit kernels of AVX-512 / AVX2), kChannelsLast
/// (NHWC: oneDNN 2.6's brgconv kernels on AVX-512 cores), or 0 for anything else (the pass then
/// leaves graphs alone). The environment variable MLSERVING_CHANNEL_BLOCK = 0, 8, 16 or
/// channels_last overrides it (for measurements). Defined in onednn/conv_ops.cc.
int64_t PreferredChannelBlock();

}  // namespace mlserving::kernels
