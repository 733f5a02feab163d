#include "tensor/tensor.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace mlserving {
namespace {
constexpr size_t kAlignment = 64;
}

Tensor::Storage::Storage(DType dtype_in, int64_t count_in) : dtype(dtype_in), count(count_in) {
  size_t bytes = static_cast<size_t>(count) * DTypeSize(dtype);
  size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  if (rounded == 0) rounded = kAlignment;
  data = std::aligned_alloc(kAlignment, rounded);
  if (data == nullptr) throw std::bad_alloc();
  if (dtype == DType::kString) {
    auto* strings = static_cast<std::string*>(data);
    for (int64_t i = 0; i < count; ++i) new (strings + i) std::string();
  } else {
    std::memset(data, 0, rounded);
  }
}

Tensor::Storage::~Storage() {
  if (dtype == DType::kString) {
    auto* strings = static_cast<std::string*>(data);
    for (int64_t i = 0; i < count; ++i) strings[i].~basic_string();
  }
  std::free(data);
}

Tensor::Tensor(DType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)), num_elements_(NumElements(shape_)) {
  storage_ = std::make_shared<Storage>(dtype_, num_elements_);
}

Result<Tensor> Tensor::Allocate(DType dtype, Shape shape, int64_t max_elements) {
  auto count = CheckedNumElements(shape);
  if (!count) return InvalidArgument("invalid tensor shape " + ShapeToString(shape));
  if (*count > max_elements || *count > (INT64_MAX / 64)) {
    return ResourceExhausted("tensor of shape " + ShapeToString(shape) + " has " + std::to_string(*count) +
                             " elements, more than the limit of " + std::to_string(max_elements));
  }
  try {
    return Tensor(dtype, std::move(shape));
  } catch (const std::bad_alloc&) {
    return ResourceExhausted("out of memory allocating a tensor of shape " + ShapeToString(shape));
  }
}

Tensor Tensor::FromBools(Shape shape, const std::vector<bool>& values) {
  Tensor t(DType::kBool, std::move(shape));
  bool* out = t.data<bool>();
  for (size_t i = 0; i < values.size(); ++i) out[i] = values[i];
  return t;
}

Result<Tensor> Tensor::Reshaped(Shape shape) const {
  auto count = CheckedNumElements(shape);
  if (!count || *count != num_elements_) {
    return InvalidArgument("cannot reshape " + ShapeToString(shape_) + " to " + ShapeToString(shape));
  }
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::Clone() const {
  if (!defined()) return Tensor();
  Tensor t(dtype_, shape_);
  if (dtype_ == DType::kString) {
    const auto* src = data<std::string>();
    auto* dst = t.data<std::string>();
    for (int64_t i = 0; i < num_elements_; ++i) dst[i] = src[i];
  } else {
    std::memcpy(t.raw_data(), raw_data(), byte_size());
  }
  return t;
}

std::string Tensor::DebugString() const {
  if (!defined()) return "undefined";
  return std::string(DTypeName(dtype_)) + ShapeToString(shape_);
}

}  // namespace mlserving
