#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mlserving {

/// A fixed pool of worker threads running submitted tasks in FIFO order.
/// The destructor finishes every task already submitted, then joins the workers.
class ThreadPool {
 public:
  explicit ThreadPool(size_t num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /// Queues `task`. Returns false (and drops the task) when more than `max_queued` tasks are
  /// already waiting; 0 means unbounded.
  bool Submit(std::function<void()> task, size_t max_queued = 0);
  size_t size() const { return workers_.size(); }
  size_t queued() const;

 private:
  void WorkerLoop();

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace mlserving
