#include "kernels/parallel_for.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "core/thread_pool.h"

namespace mlserving::kernels {
namespace {

ThreadPool& HelperPool() {
  static ThreadPool pool([] {
    const unsigned cores = std::thread::hardware_concurrency();  // 0 when unknown
    return cores > 1 ? cores - 1 : 1u;
  }());
  return pool;
}

/// What the caller and its helpers share; helpers hold it by shared_ptr, so one that wakes after
/// the caller returned finds no task left and touches nothing else.
struct Job {
  int64_t tasks = 0;
  const std::function<void(int64_t)>* fn = nullptr;
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> done{0};
  std::mutex mutex;
  std::condition_variable finished;

  void Work() {
    for (int64_t i = next.fetch_add(1); i < tasks; i = next.fetch_add(1)) {
      (*fn)(i);
      if (done.fetch_add(1) + 1 == tasks) {
        std::lock_guard<std::mutex> lock(mutex);
        finished.notify_all();
      }
    }
  }
};

}  // namespace

void ParallelFor(int64_t tasks, int threads, const std::function<void(int64_t)>& fn) {
  if (tasks <= 0) return;
  const int64_t helpers =
      std::min<int64_t>({static_cast<int64_t>(threads) - 1, tasks - 1, static_cast<int64_t>(HelperPool().size())});
  if (helpers <= 0) {
    for (int64_t i = 0; i < tasks; ++i) fn(i);
    return;
  }
  auto job = std::make_shared<Job>();
  job->tasks = tasks;
  job->fn = &fn;
  for (int64_t h = 0; h < helpers; ++h) HelperPool().Submit([job] { job->Work(); });
  job->Work();
  std::unique_lock<std::mutex> lock(job->mutex);
  job->finished.wait(lock, [&] { return job->done.load() == tasks; });
}

}  // namespace mlserving::kernels
