#include "kernels/parallel_for.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace mlserving::kernels {
namespace {

TEST(ParallelForTest, RunsEveryTaskExactlyOnceWhateverTheThreads) {
  for (int threads : {1, 2, 4, 16}) {
    for (int64_t tasks : {0, 1, 3, 100}) {
      std::vector<std::atomic<int>> runs(static_cast<size_t>(tasks));
      ParallelFor(tasks, threads, [&](int64_t i) { runs[static_cast<size_t>(i)].fetch_add(1); });
      for (int64_t i = 0; i < tasks; ++i) EXPECT_EQ(runs[static_cast<size_t>(i)].load(), 1) << threads << " " << i;
    }
  }
}

TEST(ParallelForTest, ConcurrentCallersEachGetTheirOwnTasks) {
  std::vector<std::thread> callers;
  std::vector<int64_t> sums(8, 0);
  for (size_t c = 0; c < sums.size(); ++c) {
    callers.emplace_back([&, c] {
      for (int round = 0; round < 50; ++round) {
        std::vector<int64_t> out(64, 0);
        ParallelFor(64, 4, [&](int64_t i) { out[static_cast<size_t>(i)] = i * static_cast<int64_t>(c + 1); });
        for (int64_t v : out) sums[c] += v;
      }
    });
  }
  for (auto& t : callers) t.join();
  for (size_t c = 0; c < sums.size(); ++c) EXPECT_EQ(sums[c], 50 * 2016 * static_cast<int64_t>(c + 1));
}

}  // namespace
}  // namespace mlserving::kernels
