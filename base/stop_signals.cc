#include "base/stop_signals.h"

#include "base/assert.h"

namespace rill {

stop_signals::stop_signals() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGTERM);
  sigaddset(&set_, SIGINT);
  int rc = pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  RILL_ASSERT(rc == 0);
  signal(SIGPIPE, SIG_IGN);
}

stop_signals::~stop_signals() {
  if (!watcher_.joinable()) return;
  released_ = true;  // the watcher sees it within one poll
  watcher_.join();
}

int stop_signals::wait() {
  for (;;) {
    int sig = take(k_forever);
    if (sig > 0) return sig;
  }
}

int stop_signals::take(std::chrono::milliseconds timeout) {
  if (timeout == k_forever) {
    int sig = 0;
    return sigwait(&set_, &sig) == 0 ? sig : 0;
  }
  timespec ts{.tv_sec = timeout.count() / 1000, .tv_nsec = (timeout.count() % 1000) * 1000000};
  int sig = sigtimedwait(&set_, nullptr, &ts);
  return sig > 0 ? sig : 0;
}

void stop_signals::watch(std::function<void(int)> on_signal) {
  RILL_ASSERT(!watcher_.joinable() && on_signal != nullptr);
  watcher_ = std::thread([this, on_signal = std::move(on_signal)] {
    while (!released_.load()) {
      int sig = take(k_watch_poll);
      if (sig > 0) {
        on_signal(sig);
        return;
      }
    }
  });
}

}  // namespace rill
