#include "tensor/buffer_pool.h"

#include <utility>

namespace mlserving {

bool BufferPool::Recycle(Tensor&& tensor) {
  std::shared_ptr<Storage> storage = std::move(tensor.storage_);
  tensor = Tensor();
  // use_count() == 1 is exact here: no other holder exists, so none can appear concurrently.
  if (storage == nullptr || storage.use_count() != 1 || storage->dtype == DType::kString) return false;
  if (storage->capacity > max_bytes_ - kept_bytes_) return false;  // kept_bytes_ <= max_bytes_ always
  kept_bytes_ += storage->capacity;
  free_.emplace(storage->capacity, std::move(storage));
  return true;
}

void BufferPool::Clear() {
  free_.clear();
  kept_bytes_ = 0;
}

std::shared_ptr<BufferPool::Storage> BufferPool::Take(size_t bytes) {
  const size_t wanted = Storage::Capacity(bytes);
  auto it = free_.lower_bound(wanted);
  if (it == free_.end() || it->first / 2 > wanted) {
    ++fresh_;
    return nullptr;
  }
  std::shared_ptr<Storage> storage = std::move(it->second);
  free_.erase(it);
  kept_bytes_ -= storage->capacity;
  ++reused_;
  return storage;
}

}  // namespace mlserving
