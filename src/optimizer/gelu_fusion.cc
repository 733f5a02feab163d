// GELU as exporters decompose it, into one Gelu node (ai.onnx opset 20; oneDNN kernel):
//   exact:  x * 0.5 * (1 + Erf(x / sqrt(2)))               -> Gelu(x)
//   tanh:   x * 0.5 * (1 + Tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))
//                                                           -> Gelu(x, approximate="tanh")
// x / sqrt(2) may be Mul(x, 1/sqrt(2)); x^3 may be Pow(x, 3) or Mul(x, Mul(x, x)); the 0.5 may
// multiply x, the (1 + ...) factor or the product (torch, TF and Hugging Face variants), and
// every Mul and Add may have its operands in either order.

#include <optional>
#include <string>
#include <vector>

#include "ir/make_attribute.h"
#include "optimizer/fusion_util.h"
#include "optimizer/passes.h"

namespace mlserving::optimizer {
namespace {

constexpr double kSqrt2 = 1.4142135623730951;
constexpr double kSqrt2OverPi = 0.7978845608028654;
constexpr double kCubeCoefficient = 0.044715;

/// Matching state: the graph, its index, the nodes removed so far.
struct Matcher {
  const ir::Graph& graph;
  const GraphIndex& index;
  const std::vector<bool>& removed;

  const ir::Node& node(int i) const { return graph.nodes()[static_cast<size_t>(i)]; }

  /// The live producer of `v` when it is a one-output `op` node whose output has a single use;
  /// -1 otherwise.
  int SingleUseProducer(ir::ValueId v, const char* op) const {
    if (v == ir::kNoValue || !index.HasSingleUse(v)) return -1;
    const int p = index.producer(v);
    if (p < 0 || removed[static_cast<size_t>(p)]) return -1;
    return IsOnnxOp(node(p), op) && node(p).outputs.size() == 1 ? p : -1;
  }

  /// The only reader of `v` when it is a one-output `op` node; -1 otherwise.
  int OnlyReader(ir::ValueId v, const char* op) const {
    const int c = SingleConsumer(index, removed, v);
    return c >= 0 && IsOnnxOp(node(c), op) && node(c).outputs.size() == 1 ? c : -1;
  }

  /// True when `v` is a scalar constant near `expected`.
  bool IsScalar(ir::ValueId v, double expected) const {
    const std::optional<double> value = ScalarConstant(graph, v);
    return value && IsNear(*value, expected);
  }

  /// `x` when `v` is Mul(x, c) or Mul(c, x) with c near `factor` (or Div(x, c) with c near
  /// 1 / factor), its producer single-use; appends that producer to `chain`.
  ir::ValueId ScaledInput(ir::ValueId v, double factor, std::vector<int>& chain) const {
    if (const int div = SingleUseProducer(v, "Div"); div >= 0) {
      const ir::Node& d = node(div);
      if (d.inputs.size() == 2 && IsScalar(d.inputs[1], 1.0 / factor)) {
        chain.push_back(div);
        return d.inputs[0];
      }
    }
    if (const int mul = SingleUseProducer(v, "Mul"); mul >= 0) {
      const ir::Node& m = node(mul);
      for (size_t i : {size_t{0}, size_t{1}}) {
        if (m.inputs.size() == 2 && IsScalar(m.inputs[1 - i], factor)) {
          chain.push_back(mul);
          return m.inputs[i];
        }
      }
    }
    return ir::kNoValue;
  }

  /// True when `v` is x^3: Pow(x, 3), Mul(x, Mul(x, x)) or Mul(Mul(x, x), x), single-use.
  bool IsCube(ir::ValueId v, ir::ValueId x, std::vector<int>& chain) const {
    if (const int pow = SingleUseProducer(v, "Pow"); pow >= 0) {
      const ir::Node& p = node(pow);
      if (p.inputs.size() == 2 && p.inputs[0] == x && IsScalar(p.inputs[1], 3.0)) {
        chain.push_back(pow);
        return true;
      }
      return false;
    }
    const int outer = SingleUseProducer(v, "Mul");
    if (outer < 0 || node(outer).inputs.size() != 2) return false;
    const ir::ValueId square = OtherInput(node(outer), x);
    if (square == ir::kNoValue || square == x) return false;
    const int inner = SingleUseProducer(square, "Mul");
    if (inner < 0 || node(inner).inputs.size() != 2 || node(inner).inputs[0] != x || node(inner).inputs[1] != x) {
      return false;
    }
    chain.insert(chain.end(), {outer, inner});
    return true;
  }

  /// The x of sqrt(2/pi) * (x + 0.044715 * x^3) computed into `v`; kNoValue when it does not match.
  ir::ValueId TanhArgument(ir::ValueId v, std::vector<int>& chain) const {
    const ir::ValueId sum = ScaledInput(v, kSqrt2OverPi, chain);
    const int add = SingleUseProducer(sum, "Add");
    if (add < 0 || node(add).inputs.size() != 2) return ir::kNoValue;
    for (size_t i : {size_t{0}, size_t{1}}) {
      const ir::ValueId x = node(add).inputs[i];
      std::vector<int> tried;
      const ir::ValueId cube = ScaledInput(node(add).inputs[1 - i], kCubeCoefficient, tried);
      if (cube != ir::kNoValue && IsCube(cube, x, tried)) {
        chain.push_back(add);
        chain.insert(chain.end(), tried.begin(), tried.end());
        return x;
      }
    }
    return ir::kNoValue;
  }

  /// From `shaped` = Erf(...) or Tanh(...) of x, matches x * 0.5 * (1 + shaped) in its three
  /// bracketings; returns the index of the node computing the result (appended to `chain` with
  /// the others), or -1.
  int Tail(ir::ValueId shaped, ir::ValueId x, std::vector<int>& chain) const {
    const int plus_one = OnlyReader(shaped, "Add");
    if (plus_one < 0 || !IsScalar(OtherInput(node(plus_one), shaped), 1.0)) return -1;
    const ir::ValueId factor = node(plus_one).outputs[0];  // 1 + shaped
    const int mul = OnlyReader(factor, "Mul");
    if (mul < 0) return -1;
    const ir::ValueId other = OtherInput(node(mul), factor);
    const ir::ValueId product = node(mul).outputs[0];
    if (other == x) {  // (x * factor) * 0.5
      const int half = OnlyReader(product, "Mul");
      if (half < 0 || !IsScalar(OtherInput(node(half), product), 0.5)) return -1;
      chain.insert(chain.end(), {plus_one, mul, half});
      return half;
    }
    if (IsScalar(other, 0.5)) {  // x * (0.5 * factor)
      const int outer = OnlyReader(product, "Mul");
      if (outer < 0 || OtherInput(node(outer), product) != x) return -1;
      chain.insert(chain.end(), {plus_one, mul, outer});
      return outer;
    }
    // (x * 0.5) * factor
    std::vector<int> half;
    if (ScaledInput(other, 0.5, half) != x) return -1;
    chain.push_back(plus_one);
    chain.insert(chain.end(), half.begin(), half.end());
    chain.push_back(mul);
    return mul;
  }
};

}  // namespace

Result<int> FuseGelu(ir::Graph& graph, const PassContext& context) {
  if (context.registry.Find("", "Gelu") == nullptr) return 0;
  FusionScope scope(graph, /*with_types=*/false);
  std::vector<ir::Node>& nodes = graph.nodes();
  const std::vector<bool>& removed = scope.removed;
  const Matcher m{graph, scope.index, removed};
  for (size_t n = 0; n < nodes.size(); ++n) {
    if (removed[n] || nodes[n].inputs.size() != 1 || nodes[n].outputs.size() != 1) continue;
    const bool exact = IsOnnxOp(nodes[n], "Erf");
    if (!exact && !IsOnnxOp(nodes[n], "Tanh")) continue;
    std::vector<int> chain = {static_cast<int>(n)};
    const ir::ValueId x =
        exact ? m.ScaledInput(nodes[n].inputs[0], 1.0 / kSqrt2, chain) : m.TanhArgument(nodes[n].inputs[0], chain);
    if (x == ir::kNoValue) continue;
    const int last = m.Tail(nodes[n].outputs[0], x, chain);
    if (last < 0 || !scope.AllAlive(chain)) continue;

    ir::Node gelu;
    gelu.name = nodes[static_cast<size_t>(last)].name;
    gelu.op_type = "Gelu";
    gelu.opset = 20;
    gelu.inputs = {x};
    gelu.outputs = nodes[static_cast<size_t>(last)].outputs;
    if (!exact) gelu.attributes["approximate"] = ir::StringAttr("tanh");
    // The result's node comes after x's producer, so Gelu can take its place.
    ReplaceChain(graph, scope, chain, last, std::move(gelu));
  }
  return scope.Finish(graph);
}

}  // namespace mlserving::optimizer
