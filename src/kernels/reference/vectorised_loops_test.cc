// Op tester of the float32 fast paths of the elementwise and reduction kernels: the merged-dims
// contiguous loops of the binary ops (binary_ops.cc), the [outer, count, inner] loops of the
// reductions (reduce_ops.cc) and the oneDNN ReduceSum/ReduceMean (onednn/reduce_ops.cc), on seeded
// random shapes with random broadcasting, axes (negative too), keepdims and NaNs. The oracles are
// independent of the fast paths: a naive index-arithmetic broadcast written here, and the same
// reduction on float64, which runs the reference kernel's generic strided loop.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/kernel_test_util.h"

namespace mlserving::kernels {
namespace {

using kernel_test::ExpectAllClose;
using kernel_test::IntAttr;
using kernel_test::MakeNode;
using kernel_test::RunNode;

std::string ShapeText(const Shape& s) {
  std::string text = "[";
  for (size_t d = 0; d < s.size(); ++d) text += (d ? "," : "") + std::to_string(s[d]);
  return text + "]";
}

/// A float32 tensor of `shape` uniform in [low, high), with about `nan_rate` of it NaN.
Tensor RandomTensor(const Shape& shape, std::mt19937& rng, float low, float high, double nan_rate = 0.0) {
  Tensor t = Tensor::Allocate(DType::kFloat32, shape).value();
  std::uniform_real_distribution<float> dist(low, high);
  std::bernoulli_distribution nan(nan_rate);
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    t.data<float>()[i] = nan(rng) ? std::numeric_limits<float>::quiet_NaN() : dist(rng);
  }
  return t;
}

/// A random dim: mostly small, sometimes past the 16-element blocks of the fast loops.
int64_t RandomDim(std::mt19937& rng) {
  static const int64_t kDims[] = {1, 1, 2, 3, 5, 16, 17, 37};
  return kDims[std::uniform_int_distribution<size_t>(0, std::size(kDims) - 1)(rng)];
}

/// out = fn(a, b) by explicit numpy broadcasting (per-element index arithmetic).
Tensor NaiveBroadcast(const Tensor& a, const Tensor& b, const std::function<float(float, float)>& fn) {
  const size_t rank = std::max(a.rank(), b.rank());
  Shape shape(rank);
  auto dim = [rank](const Tensor& t, size_t d) {
    const size_t lead = rank - static_cast<size_t>(t.rank());
    return d < lead ? int64_t{1} : t.shape()[d - lead];
  };
  for (size_t d = 0; d < rank; ++d) shape[d] = std::max(dim(a, d), dim(b, d));
  Tensor out = Tensor::Allocate(DType::kFloat32, shape).value();
  std::vector<int64_t> index(rank, 0);
  for (int64_t i = 0; i < out.num_elements(); ++i) {
    int64_t rem = i;
    for (size_t d = rank; d-- > 0;) {
      index[d] = rem % shape[d];
      rem /= shape[d];
    }
    int64_t ia = 0, ib = 0;
    for (size_t d = 0; d < rank; ++d) {
      ia = ia * dim(a, d) + (dim(a, d) == 1 ? 0 : index[d]);
      ib = ib * dim(b, d) + (dim(b, d) == 1 ? 0 : index[d]);
    }
    out.data<float>()[i] = fn(a.data<float>()[ia], b.data<float>()[ib]);
  }
  return out;
}

float NanMax(float x, float y) { return std::isnan(x) ? x : std::isnan(y) ? y : std::max(x, y); }
float NanMin(float x, float y) { return std::isnan(x) ? x : std::isnan(y) ? y : std::min(x, y); }

TEST(VectorisedLoops, BinaryOpsMatchNaiveBroadcastOnRandomShapes) {
  struct BinaryCase {
    const char* op;
    int opset;
    std::function<float(float, float)> fn;
    float low, high;
    double nan_rate;
  };
  const std::vector<BinaryCase> ops = {
      {"Add", 14, [](float x, float y) { return x + y; }, -1.0f, 1.0f, 0.0},
      {"Sub", 14, [](float x, float y) { return x - y; }, -1.0f, 1.0f, 0.0},
      {"Mul", 14, [](float x, float y) { return x * y; }, -1.0f, 1.0f, 0.0},
      {"Div", 14, [](float x, float y) { return x / y; }, 0.5f, 2.0f, 0.0},
      {"Pow", 15, [](float x, float y) { return static_cast<float>(std::pow(double{x}, double{y})); }, 0.5f, 2.0f, 0.0},
      {"Max", 13, NanMax, -1.0f, 1.0f, 0.1},
      {"Min", 13, NanMin, -1.0f, 1.0f, 0.1},
  };
  std::mt19937 rng(2024);
  for (int trial = 0; trial < 300; ++trial) {
    const BinaryCase& c = ops[static_cast<size_t>(trial) % ops.size()];
    // An output shape, then each input drops leading dims and sets some dims to 1.
    Shape full(std::uniform_int_distribution<size_t>(0, 4)(rng));
    for (int64_t& d : full) d = RandomDim(rng);
    auto derive = [&] {
      Shape s(full.begin() + static_cast<std::ptrdiff_t>(std::uniform_int_distribution<size_t>(0, full.size())(rng)),
              full.end());
      for (int64_t& d : s) {
        if (std::bernoulli_distribution(0.4)(rng)) d = 1;
      }
      return s;
    };
    const Tensor a = RandomTensor(derive(), rng, c.low, c.high, c.nan_rate);
    const Tensor b = RandomTensor(derive(), rng, c.low, c.high, c.nan_rate);
    const std::string what = std::string(c.op) + " " + ShapeText(a.shape()) + " " + ShapeText(b.shape());
    Result<std::vector<Tensor>> got = RunNode(MakeNode(c.op, c.opset, {}, 2, 1), {a, b});
    ASSERT_TRUE(got.ok()) << what << ": " << got.status().ToString();
    ExpectAllClose((*got)[0], NaiveBroadcast(a, b, c.fn), 1e-6, 0.0, what, /*nan_matches_nan=*/true);
  }
}

TEST(VectorisedLoops, NonFloatBinaryOpsBroadcast) {
  // int32 arithmetic and a bool-valued comparison go through the same merged loops.
  const Tensor a = Tensor::FromVector<int32_t>({2, 1, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor b = Tensor::FromVector<int32_t>({4, 1}, {10, 20, 30, 40});
  Result<std::vector<Tensor>> sum = RunNode(MakeNode("Add", 14, {}, 2, 1), {a, b});
  ASSERT_TRUE(sum.ok());
  ASSERT_EQ((*sum)[0].shape(), (Shape{2, 4, 3}));
  EXPECT_EQ((*sum)[0].data<int32_t>()[0], 11);
  EXPECT_EQ((*sum)[0].data<int32_t>()[5], 23);   // [0,1,2] = 3 + 20
  EXPECT_EQ((*sum)[0].data<int32_t>()[23], 46);  // [1,3,2] = 6 + 40
  Result<std::vector<Tensor>> less = RunNode(MakeNode("Less", 13, {}, 2, 1), {a, Tensor::FromVector<int32_t>({}, {4})});
  ASSERT_TRUE(less.ok());
  kernel_test::ExpectBools((*less)[0], {2, 1, 3}, {true, true, true, false, false, false});
}

/// `t` converted to float64 or back to float32.
Tensor Converted(const Tensor& t, DType to) {
  Tensor out = Tensor::Allocate(to, t.shape()).value();
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    if (to == DType::kFloat64) {
      out.data<double>()[i] = t.data<float>()[i];
    } else {
      out.data<float>()[i] = static_cast<float>(t.data<double>()[i]);
    }
  }
  return out;
}

TEST(VectorisedLoops, ReductionsMatchTheGenericLoopOnRandomShapes) {
  struct ReduceCase {
    const char* op;
    int opset;  // axes come from input 1 at these opsets
    float low, high;
    double nan_rate;
  };
  const std::vector<ReduceCase> kinds = {
      {"ReduceSum", 13, -1.0f, 1.0f, 0.0},   {"ReduceMean", 18, -1.0f, 1.0f, 0.0},
      {"ReduceMax", 18, -1.0f, 1.0f, 0.02},  {"ReduceMin", 18, -1.0f, 1.0f, 0.02},
      {"ReduceProd", 18, 0.9f, 1.1f, 0.0},   {"ReduceL1", 18, -1.0f, 1.0f, 0.0},
      {"ReduceL2", 18, -1.0f, 1.0f, 0.0},    {"ReduceSumSquare", 18, -1.0f, 1.0f, 0.0},
      {"ReduceLogSum", 18, 0.1f, 1.0f, 0.0}, {"ReduceLogSumExp", 18, -1.0f, 1.0f, 0.0},
  };
  // Fixed shapes big enough for the oneDNN path (trailing blocks of >= 4096 elements) and its
  // fallbacks (leading and middle blocks), then random ones.
  struct Shaped {
    Shape shape;
    std::vector<int64_t> axes;
  };
  std::vector<Shaped> shapes = {{{2, 64, 48}, {-1}},     {{3, 40, 7, 7}, {2, 3}}, {{64, 96}, {0}},
                                {{64, 96}, {1}},         {{5, 40, 33}, {1}},      {{1, 128, 1, 48}, {-1, -3}},
                                {{4, 1, 1, 2048}, {-1}}, {{70, 70}, {}}};
  std::mt19937 rng(77);
  for (int trial = 0; trial < 120; ++trial) {
    Shape s(std::uniform_int_distribution<size_t>(1, 4)(rng));
    for (int64_t& d : s) d = RandomDim(rng);
    std::vector<int64_t> axes;
    for (size_t d = 0; d < s.size(); ++d) {
      if (std::bernoulli_distribution(0.5)(rng)) {
        axes.push_back(std::bernoulli_distribution(0.5)(rng) ? static_cast<int64_t>(d) - static_cast<int64_t>(s.size())
                                                             : static_cast<int64_t>(d));
      }
    }
    shapes.push_back({s, axes});
  }
  const KernelRegistry* registries[] = {&kernel_test::ReferenceOnly(), &kernel_test::WithOneDnn()};
  size_t trial = 0;
  for (const Shaped& shaped : shapes) {
    for (const ReduceCase& kind : kinds) {
      const int64_t keepdims = static_cast<int64_t>(trial++ % 2);
      const Tensor x = RandomTensor(shaped.shape, rng, kind.low, kind.high, kind.nan_rate);
      // Empty axes reduce everything (noop_with_empty_axes 0): the axes input is then omitted.
      const Tensor axes = shaped.axes.empty()
                              ? Tensor()
                              : Tensor::FromVector<int64_t>({static_cast<int64_t>(shaped.axes.size())}, shaped.axes);
      const ir::Node node = MakeNode(kind.op, kind.opset, {{"keepdims", IntAttr(keepdims)}}, 2, 1);
      Result<std::vector<Tensor>> oracle = RunNode(node, {Converted(x, DType::kFloat64), axes});
      ASSERT_TRUE(oracle.ok()) << oracle.status().ToString();
      const Tensor expected = Converted((*oracle)[0], DType::kFloat32);
      std::string what = std::string(kind.op) + " " + ShapeText(shaped.shape) + " axes";
      for (int64_t a : shaped.axes) what += " " + std::to_string(a);
      what += " keepdims " + std::to_string(keepdims);
      for (const KernelRegistry* registry : registries) {
        for (int threads : {1, 2}) {
          Result<std::vector<Tensor>> got = RunNode(node, {x, axes}, *registry, threads);
          ASSERT_TRUE(got.ok()) << what << ": " << got.status().ToString();
          ExpectAllClose((*got)[0], expected, 1e-4, 1e-4, what, /*nan_matches_nan=*/true);
        }
      }
    }
  }
}

TEST(VectorisedLoops, NoopWithEmptyAxesReturnsTheInput) {
  std::mt19937 rng(5);
  const Tensor x = RandomTensor({8, 600}, rng, -1.0f, 1.0f);
  for (const KernelRegistry* registry : {&kernel_test::ReferenceOnly(), &kernel_test::WithOneDnn()}) {
    for (const char* op : {"ReduceSum", "ReduceMean", "ReduceMax"}) {
      const int opset = std::string(op) == "ReduceSum" ? 13 : 18;
      Result<std::vector<Tensor>> got =
          RunNode(MakeNode(op, opset, {{"noop_with_empty_axes", IntAttr(1)}}, 1, 1), {x}, *registry);
      ASSERT_TRUE(got.ok()) << op;
      ExpectAllClose((*got)[0], x, 0.0, 0.0, op);
    }
  }
}

/// Expects float32 `actual` to equal `expected` element for element (a NaN matches a NaN; -0 == +0),
/// for results that are exact: max, min and infinities.
void ExpectSameValues(const Tensor& actual, const std::vector<float>& expected, const std::string& what) {
  ASSERT_EQ(actual.dtype(), DType::kFloat32) << what;
  ASSERT_EQ(actual.num_elements(), static_cast<int64_t>(expected.size())) << what;
  for (size_t i = 0; i < expected.size(); ++i) {
    const float a = actual.data<float>()[i], e = expected[i];
    EXPECT_TRUE(std::isnan(e) ? std::isnan(a) : a == e)
        << what << ": element " << i << " is " << a << ", expected " << e;
  }
}

// The row loop of ReduceMax/ReduceMin runs 32 floats a step with a separate NaN mask, then a scalar
// tail: every row length up to past two steps, a NaN at every position (main loop and tail), rows
// of infinities and of NaNs, and the empty reduction (ONNX: -inf for Max, +inf for Min).
TEST(VectorisedLoops, ReduceMaxMinRowsPropagateNaNAtEveryPositionAndKeepInfinities) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  const float kNaN = std::numeric_limits<float>::quiet_NaN();
  std::mt19937 rng(99);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (int64_t count = 0; count <= 70; ++count) {
    std::vector<std::vector<float>> rows;
    std::vector<float> plain(static_cast<size_t>(count));
    for (float& v : plain) v = dist(rng);
    rows.push_back(plain);
    for (int64_t p = 0; p < count; ++p) {
      rows.push_back(plain);
      rows.back()[static_cast<size_t>(p)] = kNaN;
    }
    for (float fill : {kInf, -kInf, kNaN}) rows.emplace_back(static_cast<size_t>(count), fill);
    std::vector<float> mixed = plain;  // both infinities among numbers, the last one in the tail
    if (count > 0) mixed[0] = -kInf;
    if (count > 1) mixed[static_cast<size_t>(count - 1)] = kInf;
    rows.push_back(mixed);
    std::vector<float> data;
    for (const std::vector<float>& row : rows) data.insert(data.end(), row.begin(), row.end());
    const Tensor x = Tensor::FromVector<float>({static_cast<int64_t>(rows.size()), count}, data);
    const Tensor axes = Tensor::FromVector<int64_t>({1}, {-1});
    for (const bool is_max : {true, false}) {
      std::vector<float> expected;
      for (const std::vector<float>& row : rows) {
        float acc = is_max ? -kInf : kInf;
        for (float v : row)
          acc = std::isnan(acc) || std::isnan(v) ? kNaN : is_max ? std::max(acc, v) : std::min(acc, v);
        expected.push_back(acc);
      }
      const char* op = is_max ? "ReduceMax" : "ReduceMin";
      const ir::Node node = MakeNode(op, 18, {{"keepdims", IntAttr(0)}}, 2, 1);
      for (const KernelRegistry* registry : {&kernel_test::ReferenceOnly(), &kernel_test::WithOneDnn()}) {
        Result<std::vector<Tensor>> got = RunNode(node, {x, axes}, *registry);
        ASSERT_TRUE(got.ok()) << got.status().ToString();
        ExpectSameValues((*got)[0], expected, std::string(op) + " rows of " + std::to_string(count));
      }
    }
  }
}

// Binary Max/Min on every run length up to past the 16-element block, each element drawn from
// NaN, both infinities, both zeros and numbers, contiguous and against a broadcast scalar.
TEST(VectorisedLoops, BinaryMaxMinPropagateNaNFromEitherSide) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  const std::vector<float> specials = {std::numeric_limits<float>::quiet_NaN(), kInf, -kInf, 0.0f, -0.0f, 0.5f, -2.0f};
  std::mt19937 rng(5);
  std::uniform_int_distribution<size_t> pick(0, specials.size() - 1);
  for (int64_t n = 1; n <= 40; ++n) {
    std::vector<float> a(static_cast<size_t>(n)), b(a.size());
    for (float& v : a) v = specials[pick(rng)];
    for (float& v : b) v = specials[pick(rng)];
    const Tensor ta = Tensor::FromVector<float>({n}, a), tb = Tensor::FromVector<float>({n}, b);
    for (const bool is_max : {true, false}) {
      const auto fn = is_max ? NanMax : NanMin;
      const char* op = is_max ? "Max" : "Min";
      std::vector<float> same, scalar_b;
      for (size_t i = 0; i < a.size(); ++i) {
        same.push_back(fn(a[i], b[i]));
        scalar_b.push_back(fn(a[i], b[0]));
      }
      Result<std::vector<Tensor>> got = RunNode(MakeNode(op, 13, {}, 2, 1), {ta, tb});
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      ExpectSameValues((*got)[0], same, std::string(op) + " of length " + std::to_string(n));
      const Tensor first_b = Tensor::FromVector<float>({1}, {b[0]});
      got = RunNode(MakeNode(op, 13, {}, 2, 1), {ta, first_b});
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      ExpectSameValues((*got)[0], scalar_b, std::string(op) + " against a scalar, length " + std::to_string(n));
    }
  }
}

TEST(VectorisedLoops, InvalidAxesFailOnEveryPath) {
  std::mt19937 rng(6);
  const Tensor x = RandomTensor({8, 600}, rng, -1.0f, 1.0f);
  for (const KernelRegistry* registry : {&kernel_test::ReferenceOnly(), &kernel_test::WithOneDnn()}) {
    Result<std::vector<Tensor>> got =
        RunNode(MakeNode("ReduceMean", 18, {}, 2, 1), {x, Tensor::FromVector<int64_t>({1}, {2})}, *registry);
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace mlserving::kernels
