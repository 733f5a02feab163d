// The channel-blocked layout (kernels/blocked_layout.h) and its ops: ToBlocked/FromBlocked round
// trips and element placement, and BlockedConv / Blocked*Pool (oneDNN and reference kernels)
// against the plain op's output put into the blocked layout, padding channels included (they
// must be exactly zero).

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kernels/blocked_layout.h"
#include "kernels/fused_activation.h"
#include "kernels/kernel_test_util.h"
#include "kernels/registry.h"

namespace mlserving::kernels {
namespace {

// Short names for the attribute builders: the case tables keep one case a line.
constexpr auto& Int = ir::IntAttr;
constexpr auto& Ints = ir::IntsAttr;
constexpr auto& String = ir::StringAttr;

using kernel_test::Attrs;
using kernel_test::Random;
using kernel_test::ReferenceOnly;
using kernel_test::WithOneDnn;

/// Within rtol 1e-4 / atol 1e-4 of `expected` (sums of up to 576 products of values in [-1, 1]).
void ExpectClose(const Tensor& actual, const Tensor& expected, const std::string& what) {
  kernel_test::ExpectAllClose(actual, expected, 1e-4, 1e-4, what);
}

/// Prepares `op` of `domain` from `registry` (inputs 1.. of `inputs` as constants when
/// `constant_weights`) and runs it once on `threads` threads.
Result<Tensor> RunOp(const KernelRegistry& registry, const char* domain, const std::string& op, Attrs attrs,
                     const std::vector<Tensor>& inputs, bool constant_weights = true, int threads = 1) {
  const ir::Node node = kernel_test::MakeNode(op, 13, std::move(attrs), inputs.size(), 1, domain);
  KernelCreateContext create;
  for (size_t i = 0; i < inputs.size(); ++i) {
    create.constant_inputs.push_back(constant_weights && i > 0 ? &inputs[i] : nullptr);
  }
  const KernelFactoryWithConstants* factory = registry.FindWithConstants(domain, op);
  if (factory == nullptr) return NotFound("no kernel for " + op);
  ASSIGN_OR_RETURN(std::unique_ptr<Kernel> kernel, (*factory)(node, create));
  KernelContext ctx;
  for (const Tensor& t : inputs) ctx.inputs.push_back(&t);
  ctx.outputs.assign(1, Tensor());
  ctx.intra_op_threads = threads;
  RETURN_IF_ERROR(kernel->Compute(ctx));
  return ctx.outputs[0];
}

TEST(BlockedLayout, ToBlockedPlacesEveryChannelAndZeroesThePadding) {
  const KernelContext ctx;
  for (int64_t block : {8, 16}) {
    for (int64_t channels : {1, 3, 8, 13, 16, 20}) {
      SCOPED_TRACE("block " + std::to_string(block) + " channels " + std::to_string(channels));
      const Tensor plain = Random({2, channels, 3, 5}, 7);
      Result<Tensor> blocked = ToBlockedLayout(ctx, plain, block);
      ASSERT_TRUE(blocked.ok()) << blocked.status().ToString();
      const int64_t cb = ChannelBlocks(channels, block);
      ASSERT_EQ(blocked->shape(), Shape({2, cb, 3, 5, block}));
      for (int64_t n = 0; n < 2; ++n) {
        for (int64_t c = 0; c < cb * block; ++c) {
          for (int64_t s = 0; s < 15; ++s) {
            const float got = blocked->data<float>()[((n * cb + c / block) * 15 + s) * block + c % block];
            const float want = c < channels ? plain.data<float>()[(n * channels + c) * 15 + s] : 0.0f;
            ASSERT_EQ(got, want) << "n " << n << " c " << c << " s " << s;
          }
        }
      }
      Result<Tensor> back = FromBlockedLayout(ctx, *blocked, channels);
      ASSERT_TRUE(back.ok()) << back.status().ToString();
      ASSERT_EQ(back->shape(), plain.shape());
      EXPECT_EQ(0, std::memcmp(back->raw_data(), plain.raw_data(), plain.byte_size()));
    }
  }
}

TEST(BlockedLayout, OpsRoundTripEveryRankAndDType) {
  for (const Shape& shape : {Shape{2, 5, 7}, Shape{1, 9, 4, 3}, Shape{2, 17, 2, 3, 2}}) {
    for (int64_t block : {int64_t{8}, int64_t{16}, shape[1]}) {
      const Tensor floats = Random(shape, 3);
      Tensor ints(DType::kInt64, shape);
      for (int64_t i = 0; i < ints.num_elements(); ++i) ints.data<int64_t>()[i] = i * 7 - 11;
      for (const Tensor& plain : {floats, ints}) {
        Result<Tensor> blocked = RunOp(WithOneDnn(), kMlServingDomain, "ToBlocked", {{"block", Int(block)}}, {plain});
        ASSERT_TRUE(blocked.ok()) << blocked.status().ToString();
        EXPECT_EQ(blocked->shape(), BlockedShape(shape, block));
        Result<Tensor> back = RunOp(WithOneDnn(), kMlServingDomain, "FromBlocked",
                                    {{"block", Int(block)}, {"channels", Int(shape[1])}}, {*blocked});
        ASSERT_TRUE(back.ok()) << back.status().ToString();
        ASSERT_EQ(back->shape(), shape);
        ASSERT_EQ(back->dtype(), plain.dtype());
        EXPECT_EQ(0, std::memcmp(back->raw_data(), plain.raw_data(), plain.byte_size()));
      }
    }
  }
}

TEST(BlockedLayout, OneDnnLayoutKernelsMatchTheReferenceBitwise) {
  // The oneDNN reorders against the reference loops, padding channels included.
  for (const Shape& shape : {Shape{2, 5, 7}, Shape{1, 13, 4, 3}, Shape{2, 16, 3, 5}, Shape{2, 17, 2, 3, 2}}) {
    for (int64_t block : {int64_t{8}, int64_t{16}, shape[1]}) {
      SCOPED_TRACE(testing::PrintToString(shape) + " block " + std::to_string(block));
      const Tensor plain = Random(shape, 5);
      Result<Tensor> fast = RunOp(WithOneDnn(), kMlServingDomain, "ToBlocked", {{"block", Int(block)}}, {plain});
      Result<Tensor> reference =
          RunOp(ReferenceOnly(), kMlServingDomain, "ToBlocked", {{"block", Int(block)}}, {plain});
      ASSERT_TRUE(fast.ok() && reference.ok());
      ASSERT_EQ(fast->shape(), reference->shape());
      EXPECT_EQ(0, std::memcmp(fast->raw_data(), reference->raw_data(), fast->byte_size()));
      const Attrs attrs = {{"block", Int(block)}, {"channels", Int(shape[1])}};
      Result<Tensor> back = RunOp(WithOneDnn(), kMlServingDomain, "FromBlocked", attrs, {*fast});
      ASSERT_TRUE(back.ok());
      ASSERT_EQ(back->shape(), shape);
      EXPECT_EQ(0, std::memcmp(back->raw_data(), plain.raw_data(), plain.byte_size()));
    }
  }
}

TEST(BlockedLayout, BadInputsAreInvalidArguments) {
  // FromBlocked whose channels do not fit the blocks, a rank-2 ToBlocked, a wrong lane count.
  const Tensor blocked = Random({1, 2, 4, 4, 8}, 1);
  EXPECT_EQ(RunOp(WithOneDnn(), kMlServingDomain, "FromBlocked", {{"block", Int(8)}, {"channels", Int(20)}}, {blocked})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RunOp(WithOneDnn(), kMlServingDomain, "FromBlocked", {{"block", Int(16)}, {"channels", Int(9)}}, {blocked})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      RunOp(WithOneDnn(), kMlServingDomain, "ToBlocked", {{"block", Int(8)}}, {Random({3, 4}, 2)}).status().code(),
      StatusCode::kInvalidArgument);
  EXPECT_FALSE(RunOp(WithOneDnn(), kMlServingDomain, "ToBlocked", {}, {Random({1, 3, 4, 4}, 2)}).ok());
  // A BlockedConv whose X does not have the blocks W asks for.
  EXPECT_EQ(RunOp(WithOneDnn(), kMlServingDomain, "BlockedConv", {{"block", Int(8)}, {"src_block", Int(8)}},
                  {Random({1, 1, 6, 6, 8}, 3), Random({4, 12, 3, 3}, 4)})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

struct ConvCase {
  Shape x, w;
  Attrs attrs;
};

TEST(BlockedLayout, BlockedConvMatchesFusedConvInTheBlockedLayout) {
  const std::vector<ConvCase> cases = {
      {{1, 3, 17, 19}, {8, 3, 3, 3}, {{"pads", Ints({1, 1, 1, 1})}}},
      {{2, 16, 15, 15}, {24, 16, 3, 3}, {{"pads", Ints({1, 1, 1, 1})}, {"strides", Ints({2, 2})}}},
      {{1, 13, 9, 10}, {20, 13, 3, 3}, {{"pads", Ints({1, 1, 1, 1})}, {"activation", String("Relu")}}},
      {{1, 20, 7, 7}, {5, 20, 1, 1}, {{"activation", String("Sigmoid")}}},  // sigmoid(0) != 0 in the padding
      {{1, 16, 9, 9}, {16, 1, 3, 3}, {{"group", Int(16)}, {"pads", Ints({1, 1, 1, 1})}}},
      {{2, 64, 14, 14}, {64, 64, 3, 3}, {{"pads", Ints({1, 1, 1, 1})}, {"activation", String("Relu")}}},
  };
  const KernelContext ctx;
  uint32_t seed = 10;
  for (const ConvCase& c : cases) {
    const Tensor x = Random(c.x, ++seed), w = Random(c.w, ++seed), b = Random({c.w[0]}, ++seed);
    Result<Tensor> plain = RunOp(ReferenceOnly(), kMlServingDomain, "FusedConv", c.attrs, {x, w, b});
    ASSERT_TRUE(plain.ok()) << plain.status().ToString();
    // Fixed blocks of 8 and 16, and channels-last (each tensor's block is its C).
    for (int64_t preferred : {int64_t{8}, int64_t{16}, kChannelsLast}) {
      const int64_t block = BlockFor(preferred, c.w[0]), src_block = BlockFor(preferred, c.x[1]);
      Result<Tensor> expected = ToBlockedLayout(ctx, *plain, block);
      Result<Tensor> blocked_x = ToBlockedLayout(ctx, x, src_block);
      ASSERT_TRUE(expected.ok() && blocked_x.ok());
      for (bool blocked_input : {true, false}) {
        Attrs attrs = c.attrs;
        attrs["block"] = Int(block);
        attrs["src_block"] = Int(blocked_input ? src_block : 0);
        for (const KernelRegistry* registry : {&ReferenceOnly(), &WithOneDnn()}) {
          for (bool constant_weights : {true, false}) {
            for (int threads : {1, 2}) {
              const std::string what = "x " + testing::PrintToString(c.x) + " block " + std::to_string(block) +
                                       " src_block " + std::to_string(blocked_input ? src_block : 0) + " oneDNN " +
                                       std::to_string(registry == &WithOneDnn()) + " constant W " +
                                       std::to_string(constant_weights) + " threads " + std::to_string(threads);
              Result<Tensor> got = RunOp(*registry, kMlServingDomain, "BlockedConv", attrs,
                                         {blocked_input ? *blocked_x : x, w, b}, constant_weights, threads);
              ASSERT_TRUE(got.ok()) << what << ": " << got.status().ToString();
              ExpectClose(*got, *expected, what);
            }
          }
        }
      }
    }
  }
}

TEST(BlockedLayout, BlockedPoolsMatchThePlainPoolsInTheBlockedLayout) {
  struct PoolCase {
    std::string op;
    Attrs attrs;
    Shape x;
  };
  const std::vector<PoolCase> cases = {
      {"MaxPool",
       {{"kernel_shape", Ints({3, 3})}, {"strides", Ints({2, 2})}, {"pads", Ints({1, 1, 1, 1})}},
       {2, 13, 17, 17}},
      {"MaxPool", {{"kernel_shape", Ints({3, 2})}, {"strides", Ints({2, 2})}, {"ceil_mode", Int(1)}}, {1, 16, 10, 9}},
      {"AveragePool", {{"kernel_shape", Ints({3, 3})}, {"pads", Ints({1, 1, 1, 1})}}, {2, 5, 11, 12}},
      {"AveragePool",
       {{"kernel_shape", Ints({3, 3})}, {"pads", Ints({1, 1, 1, 1})}, {"count_include_pad", Int(1)}},
       {1, 24, 11, 12}},
      {"GlobalAveragePool", {}, {2, 20, 7, 7}},
      {"GlobalMaxPool", {}, {1, 32, 5, 9}},
  };
  const KernelContext ctx;
  uint32_t seed = 50;
  for (const PoolCase& c : cases) {
    for (int64_t preferred : {int64_t{8}, int64_t{16}, kChannelsLast}) {
      // A blocked input with zero padding, as a BlockedConv writes it; the padding pools to zero.
      const int64_t block = BlockFor(preferred, c.x[1]);
      const Tensor x = Random(c.x, ++seed);
      Result<Tensor> plain = RunOp(ReferenceOnly(), kOnnxDomain, c.op, c.attrs, {x});
      ASSERT_TRUE(plain.ok()) << plain.status().ToString();
      Result<Tensor> expected = ToBlockedLayout(ctx, *plain, block);
      Result<Tensor> blocked_x = ToBlockedLayout(ctx, x, block);
      ASSERT_TRUE(expected.ok() && blocked_x.ok());
      Attrs attrs = c.attrs;
      attrs["block"] = Int(block);
      for (const KernelRegistry* registry : {&ReferenceOnly(), &WithOneDnn()}) {
        const std::string what =
            c.op + " block " + std::to_string(block) + " oneDNN " + std::to_string(registry == &WithOneDnn());
        Result<Tensor> got = RunOp(*registry, kMlServingDomain, "Blocked" + c.op, attrs, {*blocked_x});
        ASSERT_TRUE(got.ok()) << what << ": " << got.status().ToString();
        ExpectClose(*got, *expected, what);
      }
    }
  }
}

TEST(BlockedLayout, PreferredChannelBlockIsOneOfOneDnnsBlocks) {
  const int block = PreferredChannelBlock();
  EXPECT_TRUE(block == 0 || block == 8 || block == 16 || block == kChannelsLast) << block;
  EXPECT_EQ(block, PreferredChannelBlock());  // decided once
}

}  // namespace
}  // namespace mlserving::kernels
