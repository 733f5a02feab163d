#include "tensor/tensor.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "tensor/buffer_pool.h"

namespace mlserving {
namespace {
constexpr size_t kAlignment = 64;
}

size_t Tensor::Storage::Capacity(size_t bytes) {
  const size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  return rounded == 0 ? kAlignment : rounded;
}

Tensor::Storage::Storage(DType dtype_in, int64_t count_in, bool zero_fill)
    : dtype(dtype_in), count(count_in), capacity(Capacity(static_cast<size_t>(count_in) * DTypeSize(dtype_in))) {
  data = std::aligned_alloc(kAlignment, capacity);
  if (data == nullptr) throw std::bad_alloc();
  if (dtype == DType::kString) {
    auto* strings = static_cast<std::string*>(data);
    for (int64_t i = 0; i < count; ++i) new (strings + i) std::string();
  } else if (zero_fill) {
    std::memset(data, 0, capacity);
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

Result<Tensor> Tensor::Allocate(DType dtype, Shape shape, int64_t max_elements, BufferPool* pool) {
  return AllocateImpl(dtype, std::move(shape), max_elements, pool, /*zero_fill=*/true);
}

Result<Tensor> Tensor::AllocateUninitialized(DType dtype, Shape shape, int64_t max_elements, BufferPool* pool) {
  return AllocateImpl(dtype, std::move(shape), max_elements, pool, /*zero_fill=*/false);
}

Result<Tensor> Tensor::AllocateImpl(DType dtype, Shape shape, int64_t max_elements, BufferPool* pool, bool zero_fill) {
  auto count = CheckedNumElements(shape);
  if (!count) return InvalidArgument("invalid tensor shape " + ShapeToString(shape));
  if (*count > max_elements || *count > (INT64_MAX / 64)) {
    return ResourceExhausted("tensor of shape " + ShapeToString(shape) + " has " + std::to_string(*count) +
                             " elements, more than the limit of " + std::to_string(max_elements));
  }
  const size_t bytes = static_cast<size_t>(*count) * DTypeSize(dtype);
  Tensor t;
  t.dtype_ = dtype;
  t.num_elements_ = *count;
  if (pool != nullptr && dtype != DType::kString) {
    if (std::shared_ptr<Storage> storage = pool->Take(bytes)) {
      storage->dtype = dtype;
      storage->count = *count;
      if (zero_fill) std::memset(storage->data, 0, bytes);
      t.storage_ = std::move(storage);
      t.shape_ = std::move(shape);
      return t;
    }
  }
  try {
    t.storage_ = std::make_shared<Storage>(dtype, *count, zero_fill);
    t.shape_ = std::move(shape);
    return t;
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
