// OneHotEncoder, LabelEncoder and CategoryMapper (ai.onnx.ml): lookups of categories, precomputed
// into hash maps by the factories.

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kernels/reference/ml_common.h"
#include "kernels/reference/ml_ops.h"

namespace mlserving::kernels::reference {
namespace {

/// Converts a numeric element to an int64 category: floats are truncated toward zero (as
/// onnxruntime does); NaN and values outside int64 give nullopt.
template <typename T>
std::optional<int64_t> ToCategory(T value) {
  if constexpr (std::is_floating_point_v<T>) {
    if (!(value >= -9.2233720368547758e18 && value < 9.2233720368547758e18)) return std::nullopt;
  } else if constexpr (std::is_same_v<T, uint64_t>) {
    if (value > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  }
  return static_cast<int64_t>(value);
}

/// Reads every element of an integer or floating tensor as an int64 category (nullopt: none).
Status ReadCategories(const Tensor& input, std::vector<std::optional<int64_t>>& categories) {
  categories.resize(static_cast<size_t>(input.num_elements()));
  bool converted = DispatchArithmetic(input.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = input.data<T>();
    for (size_t i = 0; i < categories.size(); ++i) categories[i] = ToCategory(in[i]);
  });
  if (!converted) return InvalidArgument("expected a numeric input, got " + input.DebugString());
  return Status::Ok();
}

/// One-hot encodes every element: output float of shape input_shape + [categories]. An unknown
/// category encodes as all zeros when `zeros` is 1 (the default) and fails with kInvalidArgument
/// when it is 0. An input whose kind differs from the categories' (strings against cats_int64s
/// or numbers against cats_strings) matches no category, as in onnxruntime: exporters such as
/// skl2onnx 1.5 emit that for string columns of digits, and the models rely on it.
class OneHotEncoderKernel : public Kernel {
 public:
  static Result<std::unique_ptr<Kernel>> Create(const ir::Node& node) {
    auto kernel = std::make_unique<OneHotEncoderKernel>();
    const std::vector<int64_t> ints = node.GetInts("cats_int64s");
    const std::vector<std::string> strings = node.GetStrings("cats_strings");
    if (ints.empty() == strings.empty()) {
      return InvalidArgument("exactly one of cats_int64s and cats_strings must be given");
    }
    kernel->uses_strings_ = !strings.empty();
    for (size_t i = 0; i < ints.size(); ++i) kernel->int_index_.emplace(ints[i], static_cast<int64_t>(i));
    for (size_t i = 0; i < strings.size(); ++i) kernel->string_index_.emplace(strings[i], static_cast<int64_t>(i));
    kernel->num_categories_ = static_cast<int64_t>(kernel->uses_strings_ ? strings.size() : ints.size());
    kernel->zeros_ = node.GetInt("zeros", 1) != 0;
    return std::unique_ptr<Kernel>(std::move(kernel));
  }

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* input, ml::RequireInput(ctx, 0));
    const size_t count = static_cast<size_t>(input->num_elements());
    std::vector<int64_t> hot(count, -1);
    if (uses_strings_ != (input->dtype() == DType::kString)) {
      // No element can match: every one is an unknown category.
    } else if (uses_strings_) {
      const std::string* in = input->data<std::string>();
      for (size_t i = 0; i < count; ++i) {
        auto it = string_index_.find(in[i]);
        if (it != string_index_.end()) hot[i] = it->second;
      }
    } else {
      std::vector<std::optional<int64_t>> categories;
      RETURN_IF_ERROR(ReadCategories(*input, categories));
      for (size_t i = 0; i < count; ++i) {
        if (!categories[i]) continue;
        auto it = int_index_.find(*categories[i]);
        if (it != int_index_.end()) hot[i] = it->second;
      }
    }
    if (!zeros_) {
      for (size_t i = 0; i < count; ++i) {
        if (hot[i] < 0)
          return InvalidArgument("input element " + std::to_string(i) + " is an unknown category and zeros=0");
      }
    }
    Shape shape = input->shape();
    shape.push_back(num_categories_);
    ASSIGN_OR_RETURN(Tensor output, ctx.Allocate(DType::kFloat32, std::move(shape)));
    float* out = output.data<float>();
    for (size_t i = 0; i < count; ++i) {
      if (hot[i] >= 0) out[static_cast<int64_t>(i) * num_categories_ + hot[i]] = 1.0f;
    }
    ml::SetOutput(ctx, 0, std::move(output));
    return Status::Ok();
  }

 private:
  bool uses_strings_ = false;
  std::unordered_map<int64_t, int64_t> int_index_;
  std::unordered_map<std::string, int64_t> string_index_;
  int64_t num_categories_ = 0;
  bool zeros_ = true;
};

/// The element kinds a LabelEncoder maps between.
enum class LabelKind { kString, kInteger, kFloating };

/// A column of keys or values of one kind; `dtype` is the tensor type values are written as.
struct LabelColumn {
  LabelKind kind = LabelKind::kString;
  DType dtype = DType::kString;
  std::vector<std::string> strings;
  std::vector<int64_t> ints;
  std::vector<double> floats;

  size_t size() const {
    return kind == LabelKind::kString ? strings.size() : kind == LabelKind::kInteger ? ints.size() : floats.size();
  }
};

/// Reads the column given as `prefix`_strings / _int64s / _floats or `prefix`_tensor; exactly one
/// must be present.
Result<LabelColumn> ReadLabelColumn(const ir::Node& node, const std::string& prefix) {
  LabelColumn column;
  int found = 0;
  if (node.Has(prefix + "_strings")) {
    ++found;
    column = {LabelKind::kString, DType::kString, node.GetStrings(prefix + "_strings"), {}, {}};
  }
  if (node.Has(prefix + "_int64s")) {
    ++found;
    column = {LabelKind::kInteger, DType::kInt64, {}, node.GetInts(prefix + "_int64s"), {}};
  }
  if (node.Has(prefix + "_floats")) {
    ++found;
    const std::vector<float> floats = node.GetFloats(prefix + "_floats");
    column = {LabelKind::kFloating, DType::kFloat32, {}, {}, std::vector<double>(floats.begin(), floats.end())};
  }
  if (node.Has(prefix + "_tensor")) {
    ++found;
    const Tensor tensor = node.GetTensor(prefix + "_tensor");
    if (!tensor.defined()) return InvalidArgument(prefix + "_tensor is empty");
    column.dtype = tensor.dtype();
    if (tensor.dtype() == DType::kString) {
      column.kind = LabelKind::kString;
      column.strings.assign(tensor.data<std::string>(), tensor.data<std::string>() + tensor.num_elements());
    } else if (tensor.dtype() == DType::kInt64 || tensor.dtype() == DType::kInt32 || tensor.dtype() == DType::kInt16) {
      column.kind = LabelKind::kInteger;
      RETURN_IF_ERROR(ml::ConvertToVector(tensor, column.ints));
    } else if (tensor.dtype() == DType::kFloat32 || tensor.dtype() == DType::kFloat64) {
      column.kind = LabelKind::kFloating;
      RETURN_IF_ERROR(ml::ConvertToVector(tensor, column.floats));
    } else {
      return Unimplemented(prefix + "_tensor of type " + std::string(DTypeName(tensor.dtype())));
    }
  }
  if (found != 1) {
    return InvalidArgument("exactly one of " + prefix + "_strings, " + prefix + "_int64s, " + prefix + "_floats and " +
                           prefix + "_tensor must be given");
  }
  return column;
}

/// Maps each element through keys -> values, writing the default for keys not found; output has
/// the input's shape and the values' type. Opset 1 (classes_strings) maps strings to their index
/// and int64 indices to strings. Float keys compare by value, and NaN matches a NaN key.
class LabelEncoderKernel : public Kernel {
 public:
  static Result<std::unique_ptr<Kernel>> Create(const ir::Node& node) {
    auto kernel = std::make_unique<LabelEncoderKernel>();
    if (node.Has("classes_strings")) {
      kernel->legacy_classes_ = node.GetStrings("classes_strings");
      kernel->legacy_ = true;
      for (size_t i = 0; i < kernel->legacy_classes_.size(); ++i) {
        kernel->string_index_.emplace(kernel->legacy_classes_[i], i);
      }
      kernel->default_.strings = {node.GetString("default_string", "_Unused")};
      kernel->default_.ints = {node.GetInt("default_int64", -1)};
      return std::unique_ptr<Kernel>(std::move(kernel));
    }
    ASSIGN_OR_RETURN(kernel->keys_, ReadLabelColumn(node, "keys"));
    ASSIGN_OR_RETURN(kernel->values_, ReadLabelColumn(node, "values"));
    RETURN_IF_ERROR(ml::CheckSameLength(kernel->keys_.size(), "the keys", kernel->values_.size(), "values"));
    const LabelColumn& keys = kernel->keys_;
    for (size_t i = 0; i < keys.size(); ++i) {
      switch (keys.kind) {
        case LabelKind::kString: kernel->string_index_.emplace(keys.strings[i], i); break;
        case LabelKind::kInteger: kernel->int_index_.emplace(keys.ints[i], i); break;
        case LabelKind::kFloating:
          if (std::isnan(keys.floats[i])) {
            if (kernel->nan_index_ < 0) kernel->nan_index_ = static_cast<int64_t>(i);
          } else {
            kernel->float_index_.emplace(keys.floats[i] == 0 ? 0.0 : keys.floats[i], i);
          }
          break;
      }
    }
    LabelColumn& fallback = kernel->default_;
    fallback.kind = kernel->values_.kind;
    fallback.dtype = kernel->values_.dtype;
    const Tensor default_tensor = node.GetTensor("default_tensor");
    if (default_tensor.defined()) {
      if (default_tensor.dtype() != kernel->values_.dtype || default_tensor.num_elements() != 1) {
        return InvalidArgument("default_tensor must hold one element of the values' type");
      }
      if (fallback.kind == LabelKind::kString) {
        fallback.strings = {default_tensor.data<std::string>()[0]};
      } else if (fallback.kind == LabelKind::kInteger) {
        RETURN_IF_ERROR(ml::ConvertToVector(default_tensor, fallback.ints));
      } else {
        RETURN_IF_ERROR(ml::ConvertToVector(default_tensor, fallback.floats));
      }
    } else {
      fallback.strings = {node.GetString("default_string", "_Unused")};
      fallback.ints = {node.GetInt("default_int64", -1)};
      fallback.floats = {static_cast<double>(node.GetFloat("default_float", -0.0f))};
    }
    return std::unique_ptr<Kernel>(std::move(kernel));
  }

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* input, ml::RequireInput(ctx, 0));
    return legacy_ ? ComputeLegacy(*input, ctx) : ComputeMapping(*input, ctx);
  }

 private:
  Status ComputeLegacy(const Tensor& input, KernelContext& ctx) const {
    const int64_t count = input.num_elements();
    if (input.dtype() == DType::kString) {
      ASSIGN_OR_RETURN(Tensor output, ctx.Allocate(DType::kInt64, input.shape()));
      for (int64_t i = 0; i < count; ++i) {
        auto it = string_index_.find(input.data<std::string>()[i]);
        output.data<int64_t>()[i] = it == string_index_.end() ? default_.ints[0] : static_cast<int64_t>(it->second);
      }
      ml::SetOutput(ctx, 0, std::move(output));
      return Status::Ok();
    }
    if (input.dtype() == DType::kInt64) {
      ASSIGN_OR_RETURN(Tensor output, ctx.Allocate(DType::kString, input.shape()));
      const auto num_classes = static_cast<int64_t>(legacy_classes_.size());
      for (int64_t i = 0; i < count; ++i) {
        const int64_t index = input.data<int64_t>()[i];
        output.data<std::string>()[i] =
            index >= 0 && index < num_classes ? legacy_classes_[static_cast<size_t>(index)] : default_.strings[0];
      }
      ml::SetOutput(ctx, 0, std::move(output));
      return Status::Ok();
    }
    return InvalidArgument("LabelEncoder with classes_strings takes a string or int64 input, got " +
                           input.DebugString());
  }

  /// Index of the value for each input element (-1: the default).
  Status LookUp(const Tensor& input, std::vector<int64_t>& found) const {
    const auto count = static_cast<size_t>(input.num_elements());
    found.assign(count, -1);
    switch (keys_.kind) {
      case LabelKind::kString: {
        if (input.dtype() != DType::kString) break;
        const std::string* in = input.data<std::string>();
        for (size_t i = 0; i < count; ++i) {
          auto it = string_index_.find(in[i]);
          if (it != string_index_.end()) found[i] = static_cast<int64_t>(it->second);
        }
        return Status::Ok();
      }
      case LabelKind::kInteger: {
        if (!IsInteger(input.dtype())) break;
        std::vector<int64_t> in;
        RETURN_IF_ERROR(ml::ConvertToVector(input, in));
        for (size_t i = 0; i < count; ++i) {
          auto it = int_index_.find(in[i]);
          if (it != int_index_.end()) found[i] = static_cast<int64_t>(it->second);
        }
        return Status::Ok();
      }
      case LabelKind::kFloating: {
        if (input.dtype() != DType::kFloat32 && input.dtype() != DType::kFloat64) break;
        std::vector<double> in;
        RETURN_IF_ERROR(ml::ConvertToVector(input, in));
        for (size_t i = 0; i < count; ++i) {
          if (std::isnan(in[i])) {
            found[i] = nan_index_;
            continue;
          }
          auto it = float_index_.find(in[i] == 0 ? 0.0 : in[i]);
          if (it != float_index_.end()) found[i] = static_cast<int64_t>(it->second);
        }
        return Status::Ok();
      }
    }
    return InvalidArgument("the input " + input.DebugString() + " does not match the type of the keys");
  }

  Status ComputeMapping(const Tensor& input, KernelContext& ctx) const {
    std::vector<int64_t> found;
    RETURN_IF_ERROR(LookUp(input, found));
    ASSIGN_OR_RETURN(Tensor output, ctx.Allocate(values_.dtype, input.shape()));
    const LabelColumn& column = values_;
    for (size_t i = 0; i < found.size(); ++i) {
      const bool hit = found[i] >= 0;
      const auto index = static_cast<size_t>(found[i]);
      switch (values_.dtype) {
        case DType::kString: output.data<std::string>()[i] = hit ? column.strings[index] : default_.strings[0]; break;
        case DType::kInt64: output.data<int64_t>()[i] = hit ? column.ints[index] : default_.ints[0]; break;
        case DType::kInt32:
          output.data<int32_t>()[i] = static_cast<int32_t>(hit ? column.ints[index] : default_.ints[0]);
          break;
        case DType::kInt16:
          output.data<int16_t>()[i] = static_cast<int16_t>(hit ? column.ints[index] : default_.ints[0]);
          break;
        case DType::kFloat32:
          output.data<float>()[i] = static_cast<float>(hit ? column.floats[index] : default_.floats[0]);
          break;
        case DType::kFloat64: output.data<double>()[i] = hit ? column.floats[index] : default_.floats[0]; break;
        default: return Internal("unexpected LabelEncoder value type");
      }
    }
    ml::SetOutput(ctx, 0, std::move(output));
    return Status::Ok();
  }

  bool legacy_ = false;
  std::vector<std::string> legacy_classes_;
  LabelColumn keys_;
  LabelColumn values_;
  LabelColumn default_;
  std::unordered_map<std::string, size_t> string_index_;
  std::unordered_map<int64_t, size_t> int_index_;
  std::unordered_map<double, size_t> float_index_;
  int64_t nan_index_ = -1;
};

/// Maps strings to int64 (cats_strings[i] -> cats_int64s[i], else default_int64, default -1) or
/// int64 to strings (the reverse, else default_string, default "_Unused"), by the input's type.
class CategoryMapperKernel : public Kernel {
 public:
  static Result<std::unique_ptr<Kernel>> Create(const ir::Node& node) {
    auto kernel = std::make_unique<CategoryMapperKernel>();
    const std::vector<std::string> strings = node.GetStrings("cats_strings");
    const std::vector<int64_t> ints = node.GetInts("cats_int64s");
    RETURN_IF_ERROR(ml::CheckSameLength(strings.size(), "cats_strings", ints.size(), "cats_int64s"));
    for (size_t i = 0; i < strings.size(); ++i) {
      kernel->to_int_.emplace(strings[i], ints[i]);
      kernel->to_string_.emplace(ints[i], strings[i]);
    }
    kernel->default_int_ = node.GetInt("default_int64", -1);
    kernel->default_string_ = node.GetString("default_string", "_Unused");
    return std::unique_ptr<Kernel>(std::move(kernel));
  }

  Status Compute(KernelContext& ctx) const override {
    ASSIGN_OR_RETURN(const Tensor* input, ml::RequireInput(ctx, 0));
    const int64_t count = input->num_elements();
    if (input->dtype() == DType::kString) {
      ASSIGN_OR_RETURN(Tensor output, ctx.Allocate(DType::kInt64, input->shape()));
      for (int64_t i = 0; i < count; ++i) {
        auto it = to_int_.find(input->data<std::string>()[i]);
        output.data<int64_t>()[i] = it == to_int_.end() ? default_int_ : it->second;
      }
      ml::SetOutput(ctx, 0, std::move(output));
      return Status::Ok();
    }
    if (input->dtype() == DType::kInt64) {
      ASSIGN_OR_RETURN(Tensor output, ctx.Allocate(DType::kString, input->shape()));
      for (int64_t i = 0; i < count; ++i) {
        auto it = to_string_.find(input->data<int64_t>()[i]);
        output.data<std::string>()[i] = it == to_string_.end() ? default_string_ : it->second;
      }
      ml::SetOutput(ctx, 0, std::move(output));
      return Status::Ok();
    }
    return InvalidArgument("CategoryMapper takes a string or int64 input, got " + input->DebugString());
  }

 private:
  std::unordered_map<std::string, int64_t> to_int_;
  std::unordered_map<int64_t, std::string> to_string_;
  int64_t default_int_ = -1;
  std::string default_string_;
};

}  // namespace

void RegisterMlEncoderKernels(KernelRegistry& registry) {
  registry.Register(kOnnxMlDomain, "OneHotEncoder", OneHotEncoderKernel::Create);
  registry.Register(kOnnxMlDomain, "LabelEncoder", LabelEncoderKernel::Create);
  registry.Register(kOnnxMlDomain, "CategoryMapper", CategoryMapperKernel::Create);
}

}  // namespace mlserving::kernels::reference
