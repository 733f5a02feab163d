#include "server/server_context.h"

#include <vector>

namespace mlserving::server {

void RequestTracker::Begin() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++active_;
}

void RequestTracker::End() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (--active_ == 0) idle_.notify_all();
}

int64_t RequestTracker::active() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return active_;
}

bool RequestTracker::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return idle_.wait_for(lock, timeout, [this] { return active_ == 0; });
}

uint64_t ConnectionRegistry::Add(std::function<void()> close) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) return 0;
  const uint64_t id = next_id_++;
  connections_.emplace(id, std::move(close));
  return id;
}

void ConnectionRegistry::Remove(uint64_t id) {
  if (id == 0) return;
  std::lock_guard<std::mutex> lock(mutex_);
  connections_.erase(id);
  if (connections_.empty()) empty_.notify_all();
}

void ConnectionRegistry::CloseAll() {
  std::vector<std::function<void()>> closers;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    for (const auto& [id, close] : connections_) closers.push_back(close);
  }
  for (const auto& close : closers) close();
}

bool ConnectionRegistry::WaitEmpty(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return empty_.wait_for(lock, timeout, [this] { return connections_.empty(); });
}

size_t ConnectionRegistry::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return connections_.size();
}

}  // namespace mlserving::server
