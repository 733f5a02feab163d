// Recurrent layers: RNN, GRU (linear_before_reset), LSTM (peepholes, input_forget).
//
// All three share one driver: directions forward / reverse / bidirectional, per-batch
// sequence_lens (steps past a batch entry's length give zeros in Y; Y_h / Y_c hold the state after
// its last valid step), optional initial states, activation lists with alpha/beta, `clip` (applied
// to every activation input) and `layout` (0: [seq, batch, ...], 1: [batch, seq, ...]).
// Arithmetic runs in double over the float dtypes (float16, bfloat16, float32, float64).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "kernels/reference/families.h"
#include "kernels/reference/kernel_util.h"

namespace mlserving::kernels::reference {
namespace {

enum class RnnKind { kRnn, kGru, kLstm };

/// Gates per cell: RNN 1, GRU 3 (z, r, h), LSTM 4 (i, o, f, c).
int GateCount(RnnKind kind) { return kind == RnnKind::kRnn ? 1 : kind == RnnKind::kGru ? 3 : 4; }
/// Activation functions per direction: RNN f; GRU f, g; LSTM f, g, h.
size_t ActivationCount(RnnKind kind) { return kind == RnnKind::kRnn ? 1 : kind == RnnKind::kGru ? 2 : 3; }

/// One activation function of the ONNX RNN activation list, with its alpha/beta.
struct Activation {
  enum class Fn {
    kRelu,
    kTanh,
    kSigmoid,
    kAffine,
    kLeakyRelu,
    kThresholdedRelu,
    kScaledTanh,
    kHardSigmoid,
    kElu,
    kSoftsign,
    kSoftplus
  };
  Fn fn = Fn::kTanh;
  double alpha = 0;
  double beta = 0;

  double operator()(double x) const {
    switch (fn) {
      case Fn::kRelu: return std::max(x, 0.0);
      case Fn::kTanh: return std::tanh(x);
      case Fn::kSigmoid: return 1.0 / (1.0 + std::exp(-x));
      case Fn::kAffine: return alpha * x + beta;
      case Fn::kLeakyRelu: return x >= 0 ? x : alpha * x;
      case Fn::kThresholdedRelu: return x > alpha ? x : 0.0;
      case Fn::kScaledTanh: return alpha * std::tanh(beta * x);
      case Fn::kHardSigmoid: return std::clamp(alpha * x + beta, 0.0, 1.0);
      case Fn::kElu: return x >= 0 ? x : alpha * (std::exp(x) - 1.0);
      case Fn::kSoftsign: return x / (1.0 + std::fabs(x));
      case Fn::kSoftplus: return std::log1p(std::exp(x));
    }
    return x;
  }
};

/// Parses `name` (case-insensitive), taking alpha and beta from the attribute lists in order
/// (the next unused entry) for the functions that use them, else their defaults.
Result<Activation> ParseActivation(const std::string& name, const std::vector<float>& alphas,
                                   const std::vector<float>& betas, size_t& next_alpha, size_t& next_beta) {
  std::string lower = name;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  struct Entry {
    const char* name;
    Activation::Fn fn;
    bool uses_alpha;
    double alpha;
    bool uses_beta;
    double beta;
  };
  static const Entry kEntries[] = {
      {"relu", Activation::Fn::kRelu, false, 0, false, 0},
      {"tanh", Activation::Fn::kTanh, false, 0, false, 0},
      {"sigmoid", Activation::Fn::kSigmoid, false, 0, false, 0},
      {"affine", Activation::Fn::kAffine, true, 1.0, true, 0.0},
      {"leakyrelu", Activation::Fn::kLeakyRelu, true, 0.01, false, 0},
      {"thresholdedrelu", Activation::Fn::kThresholdedRelu, true, 1.0, false, 0},
      {"scaledtanh", Activation::Fn::kScaledTanh, true, 1.0, true, 1.0},
      {"hardsigmoid", Activation::Fn::kHardSigmoid, true, 0.2, true, 0.5},
      {"elu", Activation::Fn::kElu, true, 1.0, false, 0},
      {"softsign", Activation::Fn::kSoftsign, false, 0, false, 0},
      {"softplus", Activation::Fn::kSoftplus, false, 0, false, 0},
  };
  for (const Entry& e : kEntries) {
    if (lower != e.name) continue;
    Activation a;
    a.fn = e.fn;
    a.alpha = e.alpha;
    a.beta = e.beta;
    if (e.uses_alpha && next_alpha < alphas.size()) a.alpha = alphas[next_alpha++];
    if (e.uses_beta && next_beta < betas.size()) a.beta = betas[next_beta++];
    return a;
  }
  return Unimplemented("RNN activation '" + name + "'");
}

/// Everything a recurrent node fixes at preparation time.
struct RnnSpec {
  RnnKind kind = RnnKind::kRnn;
  int num_directions = 1;
  bool reverse = false;  ///< direction "reverse" (the one direction runs last to first)
  /// ActivationCount(kind) entries per direction, direction 0 first.
  std::vector<Activation> activations;
  bool has_clip = false;
  double clip = 0;
  bool linear_before_reset = false;  ///< GRU
  bool input_forget = false;         ///< LSTM
  int64_t layout = 0;
  int64_t hidden_size = -1;  ///< -1: taken from R
};

Result<RnnSpec> ParseSpec(const ir::Node& node, RnnKind kind) {
  RnnSpec spec;
  spec.kind = kind;
  const std::string direction = node.GetString("direction", "forward");
  if (direction == "bidirectional") {
    spec.num_directions = 2;
  } else if (direction == "reverse") {
    spec.reverse = true;
  } else if (direction != "forward") {
    return InvalidArgument(node.op_type + " direction '" + direction + "' is not forward, reverse or bidirectional");
  }
  std::vector<std::string> names = node.GetStrings("activations");
  const size_t per_direction = ActivationCount(kind);
  if (names.empty()) {
    if (kind == RnnKind::kRnn) names = {"Tanh"};
    if (kind == RnnKind::kGru) names = {"Sigmoid", "Tanh"};
    if (kind == RnnKind::kLstm) names = {"Sigmoid", "Tanh", "Tanh"};
  }
  if (names.size() == per_direction && spec.num_directions == 2) {
    std::vector<std::string> both = names;
    both.insert(both.end(), names.begin(), names.end());
    names = std::move(both);
  }
  if (names.size() != per_direction * static_cast<size_t>(spec.num_directions)) {
    return InvalidArgument(node.op_type + " expects " + std::to_string(per_direction * spec.num_directions) +
                           " activations, got " + std::to_string(names.size()));
  }
  const std::vector<float> alphas = node.GetFloats("activation_alpha");
  const std::vector<float> betas = node.GetFloats("activation_beta");
  size_t next_alpha = 0;
  size_t next_beta = 0;
  for (const std::string& name : names) {
    ASSIGN_OR_RETURN(Activation a, ParseActivation(name, alphas, betas, next_alpha, next_beta));
    spec.activations.push_back(a);
  }
  if (node.Has("clip")) {
    spec.has_clip = true;
    spec.clip = node.GetFloat("clip", 0);
    if (!(spec.clip > 0)) return InvalidArgument(node.op_type + " clip must be positive");
  }
  spec.linear_before_reset = node.GetInt("linear_before_reset", 0) != 0;
  spec.input_forget = node.GetInt("input_forget", 0) != 0;
  spec.layout = node.GetInt("layout", 0);
  if (spec.layout != 0 && spec.layout != 1) return InvalidArgument(node.op_type + " layout must be 0 or 1");
  if (node.Has("hidden_size")) {
    spec.hidden_size = node.GetInt("hidden_size", 0);
    if (spec.hidden_size <= 0) return InvalidArgument(node.op_type + " hidden_size must be positive");
  }
  return spec;
}

/// The elements of a float tensor as doubles.
std::vector<double> ToDoubles(const Tensor& t) {
  std::vector<double> out(static_cast<size_t>(t.num_elements()));
  Status status = DispatchFloating(t.dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    const T* in = t.data<T>();
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<double>(Widen(in[i]));
    return Status::Ok();
  });
  (void)status;  // callers check the dtype first
  return out;
}

Result<Tensor> FromDoubles(const KernelContext& ctx, DType dtype, Shape shape, const std::vector<double>& values) {
  ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(dtype, std::move(shape)));
  RETURN_IF_ERROR(DispatchFloating(dtype, [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    T* data = out.data<T>();
    for (size_t i = 0; i < values.size(); ++i) data[i] = ConvertNumber<T>(values[i]);
    return Status::Ok();
  }));
  return out;
}

Status ExpectShape(const Tensor& t, const Shape& want, const std::string& what) {
  if (t.shape() != want) {
    return InvalidArgument(what + " must have shape " + ShapeToString(want) + ", got " + ShapeToString(t.shape()));
  }
  return Status::Ok();
}

/// out[r] += sum_k m[row0 + r][k] * v[k] for r in [0, rows): one gate block of W x or R h.
void MatVecAdd(const double* m, int64_t row0, int64_t rows, int64_t cols, const double* v, double* out) {
  for (int64_t r = 0; r < rows; ++r) {
    const double* row = m + (row0 + r) * cols;
    double acc = 0;
    for (int64_t k = 0; k < cols; ++k) acc += row[k] * v[k];
    out[r] += acc;
  }
}

class RnnKernel : public Kernel {
 public:
  explicit RnnKernel(RnnSpec spec) : spec_(std::move(spec)) {}

  Status Compute(KernelContext& ctx) const override {
    const bool lstm = spec_.kind == RnnKind::kLstm;
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    ASSIGN_OR_RETURN(const Tensor* w, RequiredInput(ctx, 1));
    ASSIGN_OR_RETURN(const Tensor* r, RequiredInput(ctx, 2));
    const DType dtype = x->dtype();
    if (!IsFloating(dtype)) return UnsupportedDType(dtype);
    if (x->rank() != 3) return InvalidArgument("X must have rank 3, got " + x->DebugString());
    const int64_t seq = spec_.layout == 0 ? x->dim(0) : x->dim(1);
    const int64_t batch = spec_.layout == 0 ? x->dim(1) : x->dim(0);
    const int64_t in = x->dim(2);
    const int64_t dirs = spec_.num_directions;
    const int64_t gates = GateCount(spec_.kind);
    if (r->rank() != 3) return InvalidArgument("R must have rank 3, got " + r->DebugString());
    const int64_t hidden = r->dim(2);
    if (spec_.hidden_size > 0 && spec_.hidden_size != hidden) {
      return InvalidArgument("hidden_size " + std::to_string(spec_.hidden_size) + " does not match R " +
                             r->DebugString());
    }
    RETURN_IF_ERROR(ExpectShape(*w, {dirs, gates * hidden, in}, "W"));
    RETURN_IF_ERROR(ExpectShape(*r, {dirs, gates * hidden, hidden}, "R"));
    const Tensor* b = ctx.input(3);
    const Tensor* lens = ctx.input(4);
    const Tensor* h0 = ctx.input(5);
    const Tensor* c0 = lstm ? ctx.input(6) : nullptr;
    const Tensor* p = lstm ? ctx.input(7) : nullptr;
    const Shape state_shape = spec_.layout == 0 ? Shape{dirs, batch, hidden} : Shape{batch, dirs, hidden};
    for (const Tensor* t : {w, r, b, h0, c0, p}) {
      if (t != nullptr && t->dtype() != dtype) return InvalidArgument("inputs must share the element type of X");
    }
    if (b != nullptr) RETURN_IF_ERROR(ExpectShape(*b, {dirs, 2 * gates * hidden}, "B"));
    if (h0 != nullptr) RETURN_IF_ERROR(ExpectShape(*h0, state_shape, "initial_h"));
    if (c0 != nullptr) RETURN_IF_ERROR(ExpectShape(*c0, state_shape, "initial_c"));
    if (p != nullptr) RETURN_IF_ERROR(ExpectShape(*p, {dirs, 3 * hidden}, "P"));
    std::vector<int64_t> lengths(static_cast<size_t>(batch), seq);
    if (lens != nullptr) {
      ASSIGN_OR_RETURN(lengths, ReadInt64s(*lens, "sequence_lens"));
      if (static_cast<int64_t>(lengths.size()) != batch) {
        return InvalidArgument("sequence_lens needs one entry per batch");
      }
      for (int64_t l : lengths) {
        if (l < 0 || l > seq) return InvalidArgument("sequence_lens entry " + std::to_string(l) + " is out of range");
      }
    }

    // Y is the largest buffer; refuse it before allocating the double-precision work copies.
    int64_t y_elements = 0;
    if (__builtin_mul_overflow(seq * dirs, batch, &y_elements) ||
        __builtin_mul_overflow(y_elements, hidden, &y_elements) || y_elements > ctx.max_tensor_elements) {
      return ResourceExhausted("the output Y would exceed " + std::to_string(ctx.max_tensor_elements) + " elements");
    }
    const std::vector<double> xs = ToDoubles(*x);
    const std::vector<double> ws = ToDoubles(*w);
    const std::vector<double> rs = ToDoubles(*r);
    const std::vector<double> bs =
        b ? ToDoubles(*b) : std::vector<double>(static_cast<size_t>(dirs * 2 * gates * hidden));
    const std::vector<double> h0s = h0 ? ToDoubles(*h0) : std::vector<double>();
    const std::vector<double> c0s = c0 ? ToDoubles(*c0) : std::vector<double>();
    const std::vector<double> ps = p ? ToDoubles(*p) : std::vector<double>(static_cast<size_t>(dirs * 3 * hidden));

    // Index helpers for the layout-dependent tensors.
    auto x_at = [&](int64_t t, int64_t bi) {
      return xs.data() + (spec_.layout == 0 ? (t * batch + bi) : (bi * seq + t)) * in;
    };
    auto y_offset = [&](int64_t t, int64_t d, int64_t bi) {
      return (spec_.layout == 0 ? ((t * dirs + d) * batch + bi) : ((bi * seq + t) * dirs + d)) * hidden;
    };
    auto state_offset = [&](int64_t d, int64_t bi) {
      return (spec_.layout == 0 ? (d * batch + bi) : (bi * dirs + d)) * hidden;
    };

    std::vector<double> y(static_cast<size_t>(seq * dirs * batch * hidden), 0.0);
    std::vector<double> yh(static_cast<size_t>(dirs * batch * hidden), 0.0);
    std::vector<double> yc(static_cast<size_t>(dirs * batch * hidden), 0.0);
    std::vector<double> h(static_cast<size_t>(hidden));
    std::vector<double> c(static_cast<size_t>(hidden));
    std::vector<double> pre(static_cast<size_t>(gates * hidden));
    std::vector<double> rec(static_cast<size_t>(hidden));
    std::vector<double> scratch(static_cast<size_t>(hidden));
    const size_t per_direction = ActivationCount(spec_.kind);
    for (int64_t d = 0; d < dirs; ++d) {
      const bool reverse = spec_.reverse || d == 1;
      const double* wd = ws.data() + d * gates * hidden * in;
      const double* rd = rs.data() + d * gates * hidden * hidden;
      const double* wb = bs.data() + d * 2 * gates * hidden;
      const double* rb = wb + gates * hidden;
      const double* pd = ps.data() + d * 3 * hidden;
      const Activation* act = spec_.activations.data() + static_cast<size_t>(d) * per_direction;
      auto f = [&](size_t which, double v) {
        if (spec_.has_clip) v = std::clamp(v, -spec_.clip, spec_.clip);
        return act[which](v);
      };
      for (int64_t bi = 0; bi < batch; ++bi) {
        const int64_t off = state_offset(d, bi);
        for (int64_t k = 0; k < hidden; ++k) {
          h[static_cast<size_t>(k)] = h0 ? h0s[static_cast<size_t>(off + k)] : 0.0;
          c[static_cast<size_t>(k)] = c0 ? c0s[static_cast<size_t>(off + k)] : 0.0;
        }
        const int64_t length = lengths[static_cast<size_t>(bi)];
        for (int64_t s = 0; s < length; ++s) {
          const int64_t t = reverse ? length - 1 - s : s;
          const double* xt = x_at(t, bi);
          // pre = W x + Wb (+ R h + Rb for every gate but GRU's h gate, handled below).
          for (int64_t g = 0; g < gates * hidden; ++g) pre[static_cast<size_t>(g)] = wb[g];
          MatVecAdd(wd, 0, gates * hidden, in, xt, pre.data());
          const int64_t recurrent_rows = spec_.kind == RnnKind::kGru ? 2 * hidden : gates * hidden;
          for (int64_t g = 0; g < recurrent_rows; ++g) pre[static_cast<size_t>(g)] += rb[g];
          MatVecAdd(rd, 0, recurrent_rows, hidden, h.data(), pre.data());
          Step(f, pre, rd, rb, pd, h, c, rec, scratch, hidden);
          const int64_t yo = y_offset(t, d, bi);
          for (int64_t k = 0; k < hidden; ++k) y[static_cast<size_t>(yo + k)] = h[static_cast<size_t>(k)];
        }
        for (int64_t k = 0; k < hidden; ++k) {
          yh[static_cast<size_t>(off + k)] = h[static_cast<size_t>(k)];
          yc[static_cast<size_t>(off + k)] = c[static_cast<size_t>(k)];
        }
      }
    }
    const Shape y_shape = spec_.layout == 0 ? Shape{seq, dirs, batch, hidden} : Shape{batch, seq, dirs, hidden};
    ASSIGN_OR_RETURN(Tensor y_out, FromDoubles(ctx, dtype, y_shape, y));
    ASSIGN_OR_RETURN(Tensor yh_out, FromDoubles(ctx, dtype, state_shape, yh));
    SetOutput(ctx, 0, std::move(y_out));
    SetOutput(ctx, 1, std::move(yh_out));
    if (lstm) {
      ASSIGN_OR_RETURN(Tensor yc_out, FromDoubles(ctx, dtype, state_shape, yc));
      SetOutput(ctx, 2, std::move(yc_out));
    }
    return Status::Ok();
  }

 private:
  /// One cell update from the gate pre-activations `pre` (W x + Wb + R h + Rb per gate; for GRU
  /// only z and r include the recurrent part). Updates `h` (and `c` for LSTM) in place.
  template <typename F>
  void Step(const F& f, std::vector<double>& pre, const double* rd, const double* rb, const double* pd,
            std::vector<double>& h, std::vector<double>& c, std::vector<double>& rec, std::vector<double>& scratch,
            int64_t hidden) const {
    const auto H = static_cast<size_t>(hidden);
    switch (spec_.kind) {
      case RnnKind::kRnn:
        for (size_t k = 0; k < H; ++k) h[k] = f(0, pre[k]);
        break;
      case RnnKind::kGru: {
        // Gate blocks: z [0, H), r [H, 2H), h [2H, 3H).
        std::vector<double> z(H);
        std::vector<double> rg(H);
        for (size_t k = 0; k < H; ++k) {
          z[k] = f(0, pre[k]);
          rg[k] = f(0, pre[H + k]);
        }
        std::fill(rec.begin(), rec.end(), 0.0);
        if (spec_.linear_before_reset) {
          MatVecAdd(rd, 2 * hidden, hidden, hidden, h.data(), rec.data());
          for (size_t k = 0; k < H; ++k) pre[2 * H + k] += rg[k] * (rec[k] + rb[2 * H + k]);
        } else {
          for (size_t k = 0; k < H; ++k) scratch[k] = rg[k] * h[k];
          MatVecAdd(rd, 2 * hidden, hidden, hidden, scratch.data(), rec.data());
          for (size_t k = 0; k < H; ++k) pre[2 * H + k] += rec[k] + rb[2 * H + k];
        }
        for (size_t k = 0; k < H; ++k) {
          const double candidate = f(1, pre[2 * H + k]);
          h[k] = (1.0 - z[k]) * candidate + z[k] * h[k];
        }
        break;
      }
      case RnnKind::kLstm: {
        // Gate blocks: i [0, H), o [H, 2H), f [2H, 3H), c [3H, 4H); peepholes P: i, o, f.
        for (size_t k = 0; k < H; ++k) {
          const double i = f(0, pre[k] + pd[k] * c[k]);
          const double forget = spec_.input_forget ? 1.0 - i : f(0, pre[2 * H + k] + pd[2 * H + k] * c[k]);
          const double cell = f(1, pre[3 * H + k]);
          c[k] = forget * c[k] + i * cell;
          const double o = f(0, pre[H + k] + pd[H + k] * c[k]);
          h[k] = o * f(2, c[k]);
        }
        break;
      }
    }
  }

  RnnSpec spec_;
};

void RegisterRnn(KernelRegistry& registry, const char* op_type, RnnKind kind) {
  registry.Register(kOnnxDomain, op_type, [kind](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    ASSIGN_OR_RETURN(RnnSpec spec, ParseSpec(node, kind));
    return std::unique_ptr<Kernel>(std::make_unique<RnnKernel>(std::move(spec)));
  });
}

}  // namespace

void RegisterRnnKernels(KernelRegistry& registry) {
  RegisterRnn(registry, "RNN", RnnKind::kRnn);
  RegisterRnn(registry, "GRU", RnnKind::kGru);
  RegisterRnn(registry, "LSTM", RnnKind::kLstm);
}

}  // namespace mlserving::kernels::reference
