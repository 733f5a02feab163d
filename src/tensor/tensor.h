#pragma once

#include <cassert>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "tensor/dtype.h"
#include "tensor/shape.h"

namespace mlserving {

class BufferPool;  // tensor/buffer_pool.h

/// An n-dimensional array with a dtype and a shape over a ref-counted, 64-byte aligned buffer.
/// Copying a Tensor shares the buffer (cheap); Clone() copies the data. Numeric buffers are
/// zero-initialised; string tensors hold std::string objects.
///
/// Thread-safety: concurrent reads of one Tensor are safe; writes need external ordering
/// (kernels write only to the outputs they allocated).
class Tensor {
 public:
  /// An undefined tensor (defined() == false): used for absent optional values.
  Tensor() = default;
  /// Allocates a zero-filled tensor; `shape` must have no negative dims.
  Tensor(DType dtype, Shape shape);

  /// Checked allocation: fails when the shape is negative or the size overflows `max_elements`.
  /// With a `pool`, the buffer is one the pool kept when one fits (zero-filled again).
  static Result<Tensor> Allocate(DType dtype, Shape shape, int64_t max_elements = INT64_MAX,
                                 BufferPool* pool = nullptr);
  /// Like Allocate(), but a numeric buffer is left uninitialised (a string tensor still holds
  /// empty strings): for writers of every element, which then skip the zero-filling pass.
  static Result<Tensor> AllocateUninitialized(DType dtype, Shape shape, int64_t max_elements = INT64_MAX,
                                              BufferPool* pool = nullptr);

  template <typename T>
  static Tensor FromVector(Shape shape, const std::vector<T>& values) {
    Tensor t(DTypeOf<T>::value, std::move(shape));
    assert(static_cast<size_t>(t.num_elements()) == values.size());
    T* out = t.data<T>();
    for (size_t i = 0; i < values.size(); ++i) out[i] = values[i];
    return t;
  }
  static Tensor FromBools(Shape shape, const std::vector<bool>& values);
  template <typename T>
  static Tensor Scalar(T value) {
    return FromVector<T>({}, {value});
  }

  bool defined() const { return storage_ != nullptr; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t dim(int64_t i) const { return shape_[static_cast<size_t>(i)]; }
  int64_t num_elements() const { return num_elements_; }
  size_t byte_size() const { return static_cast<size_t>(num_elements_) * DTypeSize(dtype_); }

  /// Typed access; precondition: DTypeOf<T>::value == dtype() (checked in debug builds).
  template <typename T>
  T* data() {
    assert(DTypeOf<T>::value == dtype_);
    return static_cast<T*>(raw_data());
  }
  template <typename T>
  const T* data() const {
    assert(DTypeOf<T>::value == dtype_);
    return static_cast<const T*>(raw_data());
  }
  void* raw_data() { return storage_ ? storage_->data : nullptr; }
  const void* raw_data() const { return storage_ ? storage_->data : nullptr; }

  /// A view with the same buffer and another shape of the same element count.
  Result<Tensor> Reshaped(Shape shape) const;
  /// A deep copy.
  Tensor Clone() const;
  /// "float32[2,3]".
  std::string DebugString() const;

 private:
  friend class BufferPool;

  struct Storage {
    /// Numeric buffers are zero-filled when `zero_fill`; string buffers always hold empty strings.
    Storage(DType dtype, int64_t count, bool zero_fill = true);
    ~Storage();
    Storage(const Storage&) = delete;
    Storage& operator=(const Storage&) = delete;
    /// The bytes allocated for a buffer of `bytes`: rounded up to the alignment, at least one unit.
    static size_t Capacity(size_t bytes);
    DType dtype;
    int64_t count;
    size_t capacity = 0;  ///< bytes allocated
    void* data = nullptr;
  };

  /// Both Allocate()s.
  static Result<Tensor> AllocateImpl(DType dtype, Shape shape, int64_t max_elements, BufferPool* pool, bool zero_fill);

  DType dtype_ = DType::kFloat32;
  Shape shape_;
  int64_t num_elements_ = 0;
  std::shared_ptr<Storage> storage_;
};

}  // namespace mlserving
