#include "base/stop_signals.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>

namespace rill {
namespace {

int wait_for(const std::atomic<int>& v) {
  for (int i = 0; i < 2000 && v.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return v.load();
}

TEST(stop_signals, a_signal_to_the_process_reaches_the_watcher) {
  std::atomic<int> got{0};
  stop_signals signals;
  signals.watch([&](int sig) { got = sig; });
  ASSERT_EQ(kill(getpid(), SIGINT), 0);
  EXPECT_EQ(wait_for(got), SIGINT);
}

TEST(stop_signals, stopping_without_a_signal_releases_the_watcher_without_calling_it) {
  std::atomic<int> calls{0};
  {
    stop_signals signals;
    signals.watch([&](int) { ++calls; });
  }
  EXPECT_EQ(calls.load(), 0);
}

TEST(stop_signals, wait_returns_the_signal_that_came) {
  stop_signals signals;
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);  // blocked, so pending until taken
  EXPECT_EQ(signals.wait(), SIGTERM);
  EXPECT_STREQ(stop_signals::name(SIGTERM), "SIGTERM");
}

}  // namespace
}  // namespace rill
