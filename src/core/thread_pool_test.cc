#include "core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>

namespace mlserving {
namespace {

TEST(ThreadPoolTest, RunsEveryTaskBeforeDestruction) {
  std::atomic<int> count{0};
  {
    ThreadPool pool(3);
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(pool.Submit([&] { count.fetch_add(1); }));
  }
  EXPECT_EQ(count.load(), 100);
}

TEST(ThreadPoolTest, RejectsWhenQueueIsFull) {
  std::mutex gate;
  gate.lock();
  ThreadPool pool(1);
  std::atomic<bool> started{false};
  ASSERT_TRUE(pool.Submit([&] {
    started = true;
    std::lock_guard<std::mutex> l(gate);
  }));
  while (!started) std::this_thread::yield();  // the only worker is now blocked on the gate
  int accepted = 0;
  for (int i = 0; i < 5; ++i) accepted += pool.Submit([] {}, 2) ? 1 : 0;
  EXPECT_EQ(accepted, 2);
  EXPECT_EQ(pool.queued(), 2u);
  gate.unlock();
}

}  // namespace
}  // namespace mlserving
