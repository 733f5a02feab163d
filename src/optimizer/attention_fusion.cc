// Scaled dot-product attention as exporters decompose it, into one com.mlserving Attention
// (kernels/reference/attention.h):
//
//   Softmax(scale(MatMul(Q', Kt')) [+ mask], axis=-1) -> MatMul(., V)
//
// where scale(s) is Div(s, c) or Mul(s, c) / Mul(c, s) by a scalar constant, or absent; the mask
// Add (either operand order) may come after the scale (torch, Hugging Face) or before it (then
// the fused op scales the mask too, mask_scale = the scale); Q' may be Mul/Div(Q, c) (the scale
// applied to Q before the product, as torch's scaled_dot_product_attention exports it) and Kt'
// likewise. Kt' = Transpose(K) swapping the last two dims is read as K (k_transposed = 0); any
// other Kt' is passed as Kᵀ (k_transposed = 1), e.g. torch's Transpose(perm=[0,2,3,1]) of the
// [batch, seq, heads, depth] key.
//
// Safety: every value the fusion removes has a single reader and is not a graph output; the
// scales are finite nonzero scalar constants; Q, Kt' and V have a provable rank >= 2 (from the
// trusted types or, where shape inference cannot follow a dynamic reshape, the Transpose that
// makes them), so MatMul's vector rules never apply; the Softmax normalises the last axis (-1, or
// rank - 1 when the rank is known, for either axis semantics); a known dtype must be float32.

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "ir/make_attribute.h"
#include "optimizer/fusion_util.h"
#include "optimizer/passes.h"

namespace mlserving::optimizer {
namespace {

/// Matching state: the graph and the pass's scope.
struct Matcher {
  const ir::Graph& graph;
  const FusionScope& scope;

  const ir::Node& node(int i) const { return graph.nodes()[static_cast<size_t>(i)]; }

  /// The live producer of `v` when it is a one-output `op` node whose output has a single use;
  /// -1 otherwise.
  int SingleUseProducer(ir::ValueId v, const char* op) const {
    if (v == ir::kNoValue || !scope.index.HasSingleUse(v)) return -1;
    const int p = scope.index.producer(v);
    if (p < 0 || scope.removed[static_cast<size_t>(p)]) return -1;
    return IsOnnxOp(node(p), op) && node(p).outputs.size() == 1 && node(p).inputs.size() == 2 ? p : -1;
  }

  /// When `v` is Mul(x, c), Mul(c, x) or Div(x, c) by a finite nonzero scalar constant c, with
  /// a single use: x, the factor (c or 1/c) and the node. nullopt otherwise.
  struct Scaled {
    ir::ValueId input;
    double factor;
    int node;
  };
  std::optional<Scaled> ScaledValue(ir::ValueId v) const {
    if (const int div = SingleUseProducer(v, "Div"); div >= 0) {
      const std::optional<double> c = ScalarConstant(graph, node(div).inputs[1]);
      if (c && std::isfinite(*c) && *c != 0 && node(div).inputs[0] != node(div).inputs[1]) {
        return Scaled{node(div).inputs[0], 1.0 / *c, div};
      }
      return std::nullopt;
    }
    if (const int mul = SingleUseProducer(v, "Mul"); mul >= 0) {
      for (size_t i : {size_t{1}, size_t{0}}) {
        const std::optional<double> c = ScalarConstant(graph, node(mul).inputs[i]);
        if (c && std::isfinite(*c) && *c != 0 && ConstantOf(graph, node(mul).inputs[1 - i]) == nullptr) {
          return Scaled{node(mul).inputs[1 - i], *c, mul};
        }
      }
    }
    return std::nullopt;
  }

  /// The rank of `v` when provable: from its trusted type, its constant, or the Transpose (with
  /// an explicit perm) that produces it; -1 otherwise.
  int64_t KnownRank(ir::ValueId v) const {
    if (v == ir::kNoValue) return -1;
    if (const Tensor* t = ConstantOf(graph, v)) return t->rank();
    const ir::ValueType& type = scope.types[static_cast<size_t>(v)];
    if (type.kind == ir::ValueKind::kTensor && type.has_shape) return static_cast<int64_t>(type.shape.size());
    const int p = scope.index.producer(v);
    if (p >= 0 && IsOnnxOp(node(p), "Transpose") && node(p).attributes.count("perm") != 0) {
      return static_cast<int64_t>(node(p).GetInts("perm").size());
    }
    return -1;
  }

  /// The live single-use MatMul (two inputs, one output) producing `v`; -1 otherwise.
  int ScoresMatMul(ir::ValueId v) const { return SingleUseProducer(v, "MatMul"); }
};

/// True when `perm` swaps the last two dims and keeps the others.
bool SwapsLastTwo(const std::vector<int64_t>& perm) {
  const size_t rank = perm.size();
  if (rank < 2) return false;
  for (size_t i = 0; i + 2 < rank; ++i) {
    if (perm[i] != static_cast<int64_t>(i)) return false;
  }
  return perm[rank - 2] == static_cast<int64_t>(rank - 1) && perm[rank - 1] == static_cast<int64_t>(rank - 2);
}

/// What the walk from the Softmax back to the first MatMul found.
struct ScoresMatch {
  int matmul = -1;
  double post_scale = 1.0;   ///< the scale applied to the scores
  bool mask_scaled = false;  ///< the mask was added before the scale
  ir::ValueId mask = ir::kNoValue;
  std::vector<int> nodes;  ///< the scale and Add nodes
};

/// Matches `v` (the Softmax input) as [scale]([MatMul] [+ mask]) in the orders the header lists.
std::optional<ScoresMatch> MatchScores(const Matcher& m, ir::ValueId v) {
  ScoresMatch match;
  bool scaled = false;
  for (int step = 0; step < 3; ++step) {
    if (const int mm = m.ScoresMatMul(v); mm >= 0) {
      match.matmul = mm;
      return match;
    }
    if (!scaled) {
      if (std::optional<Matcher::Scaled> s = m.ScaledValue(v)) {
        scaled = true;
        match.post_scale = s->factor;
        match.nodes.push_back(s->node);
        v = s->input;
        continue;
      }
    }
    if (match.mask != ir::kNoValue) return std::nullopt;
    const int add = m.SingleUseProducer(v, "Add");
    if (add < 0) return std::nullopt;
    const ir::Node& a = m.node(add);
    if (a.inputs[0] == a.inputs[1]) return std::nullopt;
    // The scores side leads to the MatMul, directly or (when no scale was seen) through one.
    std::optional<size_t> scores_side;
    for (size_t i : {size_t{0}, size_t{1}}) {
      const ir::ValueId s = a.inputs[i];
      std::optional<Matcher::Scaled> through;
      if (!scaled) through = m.ScaledValue(s);
      if (m.ScoresMatMul(s) >= 0 || (through && m.ScoresMatMul(through->input) >= 0)) {
        scores_side = i;
        break;
      }
    }
    if (!scores_side) return std::nullopt;
    match.mask = a.inputs[1 - *scores_side];
    match.mask_scaled = scaled;  // Softmax(scale(scores + mask))
    match.nodes.push_back(add);
    v = a.inputs[*scores_side];
  }
  return std::nullopt;
}

}  // namespace

Result<int> FuseAttention(ir::Graph& graph, const PassContext& context) {
  if (context.registry.Find(kernels::kMlServingDomain, "Attention") == nullptr) return 0;
  FusionScope scope(graph);
  const Matcher m{graph, scope};
  std::vector<ir::Node>& nodes = graph.nodes();
  for (size_t n = 0; n < nodes.size(); ++n) {
    const ir::Node& softmax = nodes[n];
    if (scope.removed[n] || !IsOnnxOp(softmax, "Softmax") || softmax.inputs.size() != 1 ||
        softmax.outputs.size() != 1) {
      continue;
    }
    // The probabilities feed one MatMul, as its left operand.
    const ir::ValueId probs = softmax.outputs[0];
    const int out = SingleConsumer(scope.index, scope.removed, probs);
    if (out < 0 || !IsOnnxOp(nodes[static_cast<size_t>(out)], "MatMul")) continue;
    const ir::Node& product = nodes[static_cast<size_t>(out)];
    if (product.inputs.size() != 2 || product.outputs.size() != 1 || product.inputs[0] != probs ||
        product.inputs[1] == probs) {
      continue;
    }
    const ir::ValueId v = product.inputs[1];

    std::optional<ScoresMatch> scores = MatchScores(m, softmax.inputs[0]);
    if (!scores) continue;
    const ir::Node& qk = nodes[static_cast<size_t>(scores->matmul)];
    ir::ValueId q = qk.inputs[0], kt = qk.inputs[1];
    if (q == kt) continue;
    std::vector<int> chain = {static_cast<int>(n), out, scores->matmul};
    chain.insert(chain.end(), scores->nodes.begin(), scores->nodes.end());
    double pre_scale = 1.0;
    for (ir::ValueId* operand : {&q, &kt}) {
      if (std::optional<Matcher::Scaled> s = m.ScaledValue(*operand)) {
        pre_scale *= s->factor;
        *operand = s->input;
        chain.push_back(s->node);
      }
    }
    // Ranks: provably >= 2 (MatMul's 1-D rules never apply); the Softmax over the last axis.
    const int64_t q_rank = m.KnownRank(q), kt_rank = m.KnownRank(kt), v_rank = m.KnownRank(v);
    if (q_rank < 2 || kt_rank < 2 || v_rank < 2) continue;
    const int64_t mask_rank = scores->mask == ir::kNoValue ? 0 : m.KnownRank(scores->mask);
    const int64_t scores_rank = mask_rank < 0 ? -1 : std::max({q_rank, kt_rank, mask_rank});
    const int64_t axis = softmax.GetInt("axis", softmax.opset < 13 ? 1 : -1);
    if (axis != -1 && (scores_rank < 0 || axis != scores_rank - 1)) continue;
    // A known dtype must be float32 (the fast kernel's; other floating types would run the
    // reference kernel instead of oneDNN's MatMul).
    const std::optional<DType> dtype = StaticDType(graph, scope.types, q);
    if (dtype && *dtype != DType::kFloat32) continue;

    // Kt' = Transpose(K) over the last two dims: read K itself.
    bool k_transposed = true;
    const int transpose = scope.index.HasSingleUse(kt) ? scope.index.producer(kt) : -1;
    if (transpose >= 0 && !scope.removed[static_cast<size_t>(transpose)] &&
        IsOnnxOp(nodes[static_cast<size_t>(transpose)], "Transpose") &&
        nodes[static_cast<size_t>(transpose)].inputs.size() == 1 &&
        SwapsLastTwo(nodes[static_cast<size_t>(transpose)].GetInts("perm"))) {
      k_transposed = false;
      kt = nodes[static_cast<size_t>(transpose)].inputs[0];
      chain.push_back(transpose);
    }

    ir::Node fused;
    fused.name = product.name.empty() ? graph.value(product.outputs[0]).name + "_attention" : product.name;
    fused.op_type = "Attention";
    fused.domain = kernels::kMlServingDomain;
    fused.opset = 1;
    fused.inputs = {q, kt, v};
    if (scores->mask != ir::kNoValue) fused.inputs.push_back(scores->mask);
    fused.outputs = product.outputs;
    fused.attributes["scale"] = ir::FloatAttr(static_cast<float>(pre_scale * scores->post_scale));
    if (scores->mask_scaled) fused.attributes["mask_scale"] = ir::FloatAttr(static_cast<float>(scores->post_scale));
    fused.attributes["k_transposed"] = ir::IntAttr(k_transposed ? 1 : 0);
    // The fused node takes the final MatMul's place: Q, K, V and the mask are all available there.
    ReplaceChain(graph, scope, chain, out, std::move(fused));
  }
  return scope.Finish(graph);
}

}  // namespace mlserving::optimizer
