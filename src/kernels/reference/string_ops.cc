// Text ops: StringNormalizer and TfIdfVectorizer.

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "kernels/reference/families.h"
#include "kernels/reference/kernel_util.h"

namespace mlserving::kernels::reference {
namespace {

enum class CaseChange { kNone, kLower, kUpper };

/// ASCII case mapping; bytes outside ASCII (UTF-8 sequences) are kept, so the `locale` attribute
/// has no effect.
std::string ChangeCase(std::string s, CaseChange change) {
  if (change == CaseChange::kNone) return s;
  for (char& c : s) {
    const auto u = static_cast<unsigned char>(c);
    c = static_cast<char>(change == CaseChange::kLower ? std::tolower(u) : std::toupper(u));
  }
  return s;
}

/// StringNormalizer(X: string [C] or [1, C]): drops the stopwords (case-insensitively unless
/// is_case_sensitive), then applies case_change_action. When every element is dropped the output
/// is one empty string, of shape [1] or [1, 1].
class StringNormalizerKernel : public Kernel {
 public:
  StringNormalizerKernel(CaseChange change, bool case_sensitive, const std::vector<std::string>& stopwords)
      : change_(change), case_sensitive_(case_sensitive) {
    for (const std::string& w : stopwords) stopwords_.insert(case_sensitive ? w : ChangeCase(w, CaseChange::kLower));
  }

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    if (x->dtype() != DType::kString) return UnsupportedDType(x->dtype());
    const bool two_d = x->rank() == 2;
    if (!(x->rank() == 1 || (two_d && x->dim(0) == 1))) {
      return InvalidArgument("StringNormalizer expects [C] or [1, C], got " + x->DebugString());
    }
    std::vector<std::string> kept;
    const std::string* in = x->data<std::string>();
    for (int64_t i = 0; i < x->num_elements(); ++i) {
      const std::string key = case_sensitive_ ? in[i] : ChangeCase(in[i], CaseChange::kLower);
      if (stopwords_.count(key) == 0) kept.push_back(ChangeCase(in[i], change_));
    }
    if (kept.empty()) kept.emplace_back();
    const auto c = static_cast<int64_t>(kept.size());
    ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(DType::kString, two_d ? Shape{1, c} : Shape{c}));
    std::move(kept.begin(), kept.end(), out.data<std::string>());
    SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  }

 private:
  CaseChange change_;
  bool case_sensitive_;
  std::set<std::string> stopwords_;
};

// ---- TfIdfVectorizer

enum class TfIdfMode { kTf, kIdf, kTfIdf };

/// The n-gram pool of one token type: n-gram -> index into ngram_indexes.
template <typename Token>
using NgramPool = std::map<std::vector<Token>, int64_t>;

/// TfIdfVectorizer(X: [C] or [N, C] of int32/int64/string): counts, per row, the pool n-grams of
/// length min_gram_length..max_gram_length whose tokens are 0..max_skip_count positions apart
/// (unigrams once per position), into output slot ngram_indexes[pool index]. mode TF returns the
/// counts, IDF the weight (default 1) of every n-gram seen, TFIDF count * weight. Output float32
/// [max(ngram_indexes) + 1] or [N, that].
class TfIdfKernel : public Kernel {
 public:
  static Result<std::unique_ptr<Kernel>> Create(const ir::Node& node) {
    auto k = std::unique_ptr<TfIdfKernel>(new TfIdfKernel());
    k->min_gram_ = node.GetInt("min_gram_length", 1);
    k->max_gram_ = node.GetInt("max_gram_length", 1);
    k->max_skip_ = node.GetInt("max_skip_count", 0);
    if (k->min_gram_ < 1 || k->max_gram_ < k->min_gram_ || k->max_skip_ < 0) {
      return InvalidArgument("TfIdfVectorizer gram lengths or max_skip_count are invalid");
    }
    const std::string mode = node.GetString("mode", "");
    if (mode == "TF") {
      k->mode_ = TfIdfMode::kTf;
    } else if (mode == "IDF") {
      k->mode_ = TfIdfMode::kIdf;
    } else if (mode == "TFIDF") {
      k->mode_ = TfIdfMode::kTfIdf;
    } else {
      return Unimplemented("TfIdfVectorizer mode '" + mode + "' is not supported");
    }
    k->ngram_indexes_ = node.GetInts("ngram_indexes");
    k->weights_ = node.GetFloats("weights");
    k->width_ = 0;
    for (int64_t i : k->ngram_indexes_) {
      if (i < 0) return InvalidArgument("TfIdfVectorizer ngram_indexes must be non-negative");
      k->width_ = std::max(k->width_, i + 1);
    }
    if (!k->weights_.empty() && static_cast<int64_t>(k->weights_.size()) < k->width_) {
      return InvalidArgument("TfIdfVectorizer needs one weight per output slot");
    }
    const std::vector<int64_t> counts = node.GetInts("ngram_counts");
    const std::vector<int64_t> ints = node.GetInts("pool_int64s");
    const std::vector<std::string> strings = node.GetStrings("pool_strings");
    k->string_pool_ = !strings.empty();
    const auto pool_size = static_cast<int64_t>(k->string_pool_ ? strings.size() : ints.size());
    int64_t ngram_id = 0;
    for (size_t g = 0; g < counts.size(); ++g) {
      const auto n = static_cast<int64_t>(g) + 1;
      const int64_t begin = counts[g];
      const int64_t end = g + 1 < counts.size() ? counts[g + 1] : pool_size;
      if (begin < 0 || end < begin || end > pool_size || (end - begin) % n != 0) {
        return InvalidArgument("TfIdfVectorizer ngram_counts do not partition the pool");
      }
      for (int64_t at = begin; at < end; at += n, ++ngram_id) {
        if (ngram_id >= static_cast<int64_t>(k->ngram_indexes_.size())) {
          return InvalidArgument("TfIdfVectorizer needs one ngram_indexes entry per pool n-gram");
        }
        if (k->string_pool_) {
          k->strings_[std::vector<std::string>(strings.begin() + at, strings.begin() + at + n)] = ngram_id;
        } else {
          k->ints_[std::vector<int64_t>(ints.begin() + at, ints.begin() + at + n)] = ngram_id;
        }
      }
    }
    return std::unique_ptr<Kernel>(std::move(k));
  }

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* x, RequiredInput(ctx, 0));
    if (x->rank() != 1 && x->rank() != 2) return InvalidArgument("TfIdfVectorizer expects [C] or [N, C]");
    const int64_t rows = x->rank() == 2 ? x->dim(0) : 1;
    const int64_t cols = x->dim(x->rank() - 1);
    ASSIGN_OR_RETURN(Tensor out, ctx.Allocate(DType::kFloat32, x->rank() == 2 ? Shape{rows, width_} : Shape{width_}));
    std::vector<double> counts(static_cast<size_t>(rows * width_), 0.0);
    if (x->dtype() == DType::kString) {
      if (!string_pool_ && !ints_.empty()) return InvalidArgument("TfIdfVectorizer pool is int64 but input is string");
      Count(x->data<std::string>(), rows, cols, strings_, counts);
    } else {
      if (string_pool_) return InvalidArgument("TfIdfVectorizer pool is string but input is " + x->DebugString());
      ASSIGN_OR_RETURN(std::vector<int64_t> tokens, ReadInt64s(*x, "X"));
      Count(tokens.data(), rows, cols, ints_, counts);
    }
    float* po = out.data<float>();
    for (size_t i = 0; i < counts.size(); ++i) {
      const double w = weights_.empty() ? 1.0 : weights_[i % static_cast<size_t>(width_)];
      switch (mode_) {
        case TfIdfMode::kTf: po[i] = static_cast<float>(counts[i]); break;
        case TfIdfMode::kIdf: po[i] = counts[i] > 0 ? static_cast<float>(w) : 0.0f; break;
        case TfIdfMode::kTfIdf: po[i] = static_cast<float>(counts[i] * w); break;
      }
    }
    SetOutput(ctx, 0, std::move(out));
    return Status::Ok();
  }

 private:
  TfIdfKernel() = default;

  template <typename Token>
  void Count(const Token* tokens, int64_t rows, int64_t cols, const NgramPool<Token>& pool,
             std::vector<double>& counts) const {
    std::vector<Token> gram;
    for (int64_t r = 0; r < rows; ++r) {
      const Token* row = tokens + r * cols;
      for (int64_t start = 0; start < cols; ++start) {
        for (int64_t n = min_gram_; n <= max_gram_; ++n) {
          for (int64_t skip = 0; skip <= max_skip_; ++skip) {
            if (n == 1 && skip > 0) break;
            const int64_t step = skip + 1;
            if (start + (n - 1) * step >= cols) break;
            gram.clear();
            for (int64_t j = 0; j < n; ++j) gram.push_back(row[start + j * step]);
            auto it = pool.find(gram);
            if (it == pool.end()) continue;
            counts[static_cast<size_t>(r * width_ + ngram_indexes_[static_cast<size_t>(it->second)])] += 1;
          }
        }
      }
    }
  }

  int64_t min_gram_ = 1, max_gram_ = 1, max_skip_ = 0, width_ = 0;
  TfIdfMode mode_ = TfIdfMode::kTf;
  std::vector<int64_t> ngram_indexes_;
  std::vector<float> weights_;
  bool string_pool_ = false;
  NgramPool<int64_t> ints_;
  NgramPool<std::string> strings_;
};

}  // namespace

void RegisterStringKernels(KernelRegistry& registry) {
  registry.Register(kOnnxDomain, "StringNormalizer", [](const ir::Node& node) -> Result<std::unique_ptr<Kernel>> {
    const std::string action = node.GetString("case_change_action", "NONE");
    CaseChange change = CaseChange::kNone;
    if (action == "LOWER") {
      change = CaseChange::kLower;
    } else if (action == "UPPER") {
      change = CaseChange::kUpper;
    } else if (action != "NONE") {
      return InvalidArgument("StringNormalizer case_change_action must be NONE, LOWER or UPPER, got '" + action + "'");
    }
    return std::unique_ptr<Kernel>(std::make_unique<StringNormalizerKernel>(
        change, node.GetInt("is_case_sensitive", 0) != 0, node.GetStrings("stopwords")));
  });
  registry.Register(kOnnxDomain, "TfIdfVectorizer", TfIdfKernel::Create);
}

}  // namespace mlserving::kernels::reference
