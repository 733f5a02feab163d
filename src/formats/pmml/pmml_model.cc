#include "formats/pmml/pmml_model.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <unordered_map>

#include "formats/pmml/pmml_document.h"
#include "formats/pmml/window_expression.h"

namespace mlserving::formats::pmml {
namespace {

DType DTypeOfField(DataType t) {
  switch (t) {
    case DataType::kInteger: return DType::kInt64;
    case DataType::kFloat:
    case DataType::kDouble: return DType::kFloat64;
    case DataType::kBoolean: return DType::kBool;
    default: return DType::kString;
  }
}

/// Reads element `i` of a 1-D input column as a PMML value (in-band missing values -> missing).
Value ReadCell(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::kFloat64: {
      double v = t.data<double>()[i];
      return std::isnan(v) ? Value::Missing() : Value::Number(v);
    }
    case DType::kFloat32: {
      float v = t.data<float>()[i];
      return std::isnan(v) ? Value::Missing() : Value::Number(v);
    }
    case DType::kInt64: {
      int64_t v = t.data<int64_t>()[i];
      return v == kMissingInt64 ? Value::Missing() : Value::Number(static_cast<double>(v));
    }
    case DType::kInt32: return Value::Number(t.data<int32_t>()[i]);
    case DType::kBool: return Value::Bool(t.data<bool>()[i]);
    case DType::kString: {
      const std::string& s = t.data<std::string>()[i];
      return s.empty() ? Value::Missing() : Value::String(s);
    }
    default: return Value::Missing();
  }
}

/// ctx.Set(slot, ReadCell(t, i)), without building a Value for a number column.
void SetCell(EvalContext& ctx, Slot slot, const Tensor& t, int64_t i) {
  if (t.dtype() == DType::kFloat64) {
    double v = t.data<double>()[i];
    if (!std::isnan(v)) return ctx.SetNumber(slot, v);
  }
  ctx.Set(slot, ReadCell(t, i));
}

void WriteCell(Tensor& t, int64_t i, const Value& v) {
  switch (t.dtype()) {
    case DType::kFloat64: {
      std::optional<double> x = v.AsNumber();
      t.data<double>()[i] = x ? *x : std::nan("");
      break;
    }
    case DType::kInt64: {
      std::optional<double> x = v.AsNumber();
      t.data<int64_t>()[i] = x && std::isfinite(*x) && std::fabs(*x) < 9e18 ? static_cast<int64_t>(*x) : kMissingInt64;
      break;
    }
    case DType::kBool: {
      std::optional<bool> b = v.AsBool();
      t.data<bool>()[i] = b && *b;
      break;
    }
    case DType::kString: t.data<std::string>()[i] = v.AsString(); break;
    default: break;
  }
}

class PmmlEvaluator final : public Evaluator {
 public:
  PmmlEvaluator(std::unique_ptr<PmmlDocument> doc, std::string display_name)
      : doc_(std::move(doc)), display_name_(std::move(display_name)) {
    if (const PmmlDocument::Input* group = doc_->group()) {
      // Transactional input: the group field is an input and the first output column, so each
      // output row (one per group) says which group it scored.
      TensorSpec in;
      in.name = group->name;
      in.dtype = DTypeOfField(group->data_type);
      in.shape = {-1};
      in.nullable = true;
      signature_.inputs.push_back(in);
      TensorSpec out = in;
      out.nullable = false;
      signature_.outputs.push_back(std::move(out));
    }
    for (const PmmlDocument::Input& in : doc_->inputs()) {
      TensorSpec spec;
      spec.name = in.name;
      spec.dtype = DTypeOfField(in.data_type);
      spec.shape = {-1};
      spec.nullable = true;
      signature_.inputs.push_back(std::move(spec));
    }
    bool has_outputs = false;
    for (const PmmlDocument::Result& r : doc_->results()) has_outputs |= !r.is_target;
    for (size_t i = 0; i < doc_->results().size(); ++i) {
      const PmmlDocument::Result& r = doc_->results()[i];
      if (has_outputs ? (r.is_target || !r.final_result) : !r.is_target) continue;
      if (signature_.FindOutput(r.name)) continue;
      TensorSpec spec;
      spec.name = r.name;
      spec.dtype = DTypeOfField(r.data_type);
      spec.shape = {-1};
      signature_.outputs.push_back(std::move(spec));
      output_results_.push_back(i);
    }
    for (size_t i = 0; i < signature_.inputs.size(); ++i) sorted_inputs_.push_back(i);
    std::sort(sorted_inputs_.begin(), sorted_inputs_.end(),
              [&](size_t a, size_t b) { return signature_.inputs[a].name < signature_.inputs[b].name; });
  }

  const Signature& Describe() const override { return signature_; }

  Result<TensorMap> Evaluate(const TensorMap& inputs, const EvaluationContext& ectx) const override {
    std::vector<const Tensor*> columns;
    RETURN_IF_ERROR(MatchInputs(inputs, columns));
    int64_t rows = -1;
    for (size_t i = 0; i < columns.size(); ++i) {
      int64_t n = columns[i]->num_elements();
      if (rows >= 0 && n != rows) {
        return InvalidArgument("input '" + signature_.inputs[i].name + "' has " + std::to_string(n) +
                               " rows, other inputs have " + std::to_string(rows) +
                               "; give every field the same number of values");
      }
      rows = n;
    }
    if (rows < 0) rows = 1;
    if (rows > ectx.max_tensor_elements) return ResourceExhausted("too many rows in one request");
    if (doc_->group()) return EvaluateGroups(columns, rows, ectx);
    TensorMap outputs;
    std::vector<Tensor*> out_columns;
    out_columns.reserve(signature_.outputs.size());
    for (const TensorSpec& spec : signature_.outputs) {
      // Every row of every output is written below (or the request fails).
      ASSIGN_OR_RETURN(Tensor t, Tensor::AllocateUninitialized(spec.dtype, {rows}, ectx.max_tensor_elements));
      out_columns.push_back(&outputs.emplace(spec.name, std::move(t)).first->second);
    }
    PooledContext ctx = AcquireContext();
    const auto& ins = doc_->inputs();
    RequestWindows windows;  // Aggregate / Lag values over the request's rows
    if (!doc_->windows().empty()) {
      RETURN_IF_ERROR(windows.Compute(doc_->windows(), *ctx, rows, [&](EvalContext& c, int64_t row) {
        c.BeginRow();
        for (size_t i = 0; i < ins.size(); ++i) c.Set(ins[i].slot, ReadCell(*columns[i], row));
      }));
    }
    for (int64_t row = 0; row < rows; ++row) {
      if ((row & 255) == 0 && ectx.Expired())
        return DeadlineExceeded("the request timed out while scoring row " + std::to_string(row));
      ctx->BeginRow();
      for (size_t i = 0; i < ins.size(); ++i) SetCell(*ctx, ins[i].slot, *columns[i], row);
      if (!windows.empty()) windows.Apply(*ctx, row);
      Status s = doc_->ScoreRow(*ctx);
      if (!s.ok()) {
        return rows == 1 ? s : s.WithContext("row " + std::to_string(row));
      }
      for (size_t o = 0; o < out_columns.size(); ++o) {
        WriteCell(*out_columns[o], row, doc_->ResultValue(*ctx, doc_->results()[output_results_[o]]));
      }
    }
    return outputs;
  }

  /// Fills `columns` with the request's tensor of each signature input, in signature order. The
  /// request's map is sorted by name, so when it holds exactly the signature's inputs it is
  /// matched in one pass against the names sorted at load (one string comparison per input);
  /// otherwise each input is looked up by name.
  Status MatchInputs(const TensorMap& inputs, std::vector<const Tensor*>& columns) const {
    columns.assign(signature_.inputs.size(), nullptr);
    if (inputs.size() == sorted_inputs_.size()) {
      auto it = inputs.begin();
      size_t k = 0;
      for (; k < sorted_inputs_.size() && it->first == signature_.inputs[sorted_inputs_[k]].name; ++k, ++it) {
        columns[sorted_inputs_[k]] = &it->second;
      }
      if (k == sorted_inputs_.size()) return Status::Ok();
    }
    for (size_t i = 0; i < signature_.inputs.size(); ++i) {
      auto it = inputs.find(signature_.inputs[i].name);
      if (it == inputs.end()) return InvalidArgument("missing input '" + signature_.inputs[i].name + "'");
      columns[i] = &it->second;
    }
    return Status::Ok();
  }

  /// Transactional models: rows sharing the group field's value (columns[0]) form one group,
  /// in order of first appearance; one output row per group, the group value first.
  Result<TensorMap> EvaluateGroups(const std::vector<const Tensor*>& columns, int64_t rows,
                                   const EvaluationContext& ectx) const {
    std::vector<std::string> keys;
    std::vector<std::vector<int64_t>> members;
    std::unordered_map<std::string, size_t> index;
    for (int64_t row = 0; row < rows; ++row) {
      Value key = ReadCell(*columns[0], row);
      if (key.missing()) {
        return InvalidArgument("row " + std::to_string(row) + " has no value for the group field '" +
                               doc_->group()->name + "'");
      }
      auto [it, added] = index.emplace(key.AsString(), keys.size());
      if (added) {
        keys.push_back(key.AsString());
        members.emplace_back();
      }
      members[it->second].push_back(row);
    }
    const int64_t groups = static_cast<int64_t>(keys.size());
    TensorMap outputs;
    std::vector<Tensor*> out_columns;
    for (const TensorSpec& spec : signature_.outputs) {
      ASSIGN_OR_RETURN(Tensor t, Tensor::Allocate(spec.dtype, {groups}, ectx.max_tensor_elements));
      out_columns.push_back(&outputs.emplace(spec.name, std::move(t)).first->second);
    }
    PooledContext ctx = AcquireContext();
    const auto& ins = doc_->inputs();
    RequestWindows windows;  // Aggregate / Lag values over the request's rows; a group reads its first row's
    if (!doc_->windows().empty()) {
      RETURN_IF_ERROR(windows.Compute(doc_->windows(), *ctx, rows, [&](EvalContext& c, int64_t row) {
        c.BeginRow();
        c.Set(doc_->group()->slot, ReadCell(*columns[0], row));
        for (size_t i = 0; i < ins.size(); ++i) c.Set(ins[i].slot, ReadCell(*columns[i + 1], row));
      }));
    }
    for (int64_t g = 0; g < groups; ++g) {
      if ((g & 255) == 0 && ectx.Expired())
        return DeadlineExceeded("the request timed out while scoring group " + std::to_string(g));
      ctx->BeginRow();
      const std::vector<int64_t>& group_rows = members[static_cast<size_t>(g)];
      ctx->Set(doc_->group()->slot, ReadCell(*columns[0], group_rows.front()));
      for (size_t i = 0; i < ins.size(); ++i) {
        std::vector<Value> values;
        for (int64_t row : group_rows) values.push_back(ReadCell(*columns[i + 1], row));
        ctx->Set(ins[i].slot, values.front());
        ctx->SetCollection(ins[i].slot, std::move(values));
      }
      if (!windows.empty()) windows.Apply(*ctx, group_rows.front());
      Status s = doc_->ScoreRow(*ctx);
      if (!s.ok()) return s.WithContext("group '" + keys[static_cast<size_t>(g)] + "'");
      WriteCell(*out_columns[0], g, Value::String(keys[static_cast<size_t>(g)]));
      for (size_t o = 1; o < out_columns.size(); ++o) {
        WriteCell(*out_columns[o], g, doc_->ResultValue(*ctx, doc_->results()[output_results_[o - 1]]));
      }
    }
    return outputs;
  }

  /// A scoring context for one request: taken from the pool (no allocation once warm: the
  /// contexts keep their per-slot arrays, predictions and scratch) and returned by the deleter.
  struct ContextReturn {
    const PmmlEvaluator* owner;
    void operator()(EvalContext* ctx) const { owner->ReleaseContext(ctx); }
  };
  using PooledContext = std::unique_ptr<EvalContext, ContextReturn>;

  PooledContext AcquireContext() const {
    {
      std::lock_guard<std::mutex> lock(pool_mutex_);
      if (!pool_.empty()) {
        EvalContext* ctx = pool_.back().release();
        pool_.pop_back();
        return PooledContext(ctx, ContextReturn{this});
      }
    }
    return PooledContext(doc_->NewContext().release(), ContextReturn{this});
  }

  void ReleaseContext(EvalContext* ctx) const {
    std::unique_ptr<EvalContext> owned(ctx);
    std::lock_guard<std::mutex> lock(pool_mutex_);
    // At most one idle context per concurrent request seen, bounded.
    if (pool_.size() < kMaxPooledContexts) pool_.push_back(std::move(owned));
  }

  std::string Summary() const override {
    const ModelInfo& info = doc_->model().info();
    return "pmml model " + display_name_ + " (" + info.type +
           (info.model_name.empty() ? "" : " '" + info.model_name + "'") + "), PMML " + doc_->version();
  }

 private:
  std::unique_ptr<PmmlDocument> doc_;
  std::string display_name_;
  Signature signature_;
  std::vector<size_t> output_results_;
  /// The signature's inputs (indices) in a TensorMap's order: sorted by name.
  std::vector<size_t> sorted_inputs_;
  static constexpr size_t kMaxPooledContexts = 64;
  mutable std::mutex pool_mutex_;
  mutable std::vector<std::unique_ptr<EvalContext>> pool_;
};

}  // namespace

bool SniffPmml(const std::string& path, std::string_view head) {
  std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".pmml" || ext == ".PMML") return true;
  if (head.find("<PMML") != std::string_view::npos) return true;
  return ext == ".xml" && head.find("<?xml") != std::string_view::npos;
}

Result<std::unique_ptr<Evaluator>> LoadPmmlBytes(std::string_view bytes, const std::string& display_name) {
  Result<std::unique_ptr<PmmlDocument>> doc = PmmlDocument::Load(bytes);
  if (!doc.ok()) return doc.status().WithContext("cannot load the PMML model " + display_name);
  return std::unique_ptr<Evaluator>(new PmmlEvaluator(std::move(doc).value(), display_name));
}

Result<std::unique_ptr<Evaluator>> LoadPmmlFile(const std::string& path) {
  std::error_code ec;
  uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return NotFound("cannot read the PMML file '" + path + "': " + ec.message());
  XmlLimits limits;
  if (size > limits.max_bytes) {
    return ResourceExhausted("the PMML file '" + path + "' has " + std::to_string(size) +
                             " bytes, more than the limit of " + std::to_string(limits.max_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open the PMML file '" + path + "'");
  std::string bytes(static_cast<size_t>(size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  bytes.resize(static_cast<size_t>(in.gcount()));
  return LoadPmmlBytes(bytes, std::filesystem::path(path).filename().string());
}

}  // namespace mlserving::formats::pmml
