#include "base/stop_signals.h"

#include <pthread.h>

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
  released_ = true;
  // Wakes sigwait on the watcher; released_ tells it not to act. If a real
  // signal came first, this one stays pending on a thread about to end.
  pthread_kill(watcher_.native_handle(), SIGTERM);
  watcher_.join();
}

int stop_signals::wait() {
  int sig = 0;
  while (sigwait(&set_, &sig) != 0) {
  }
  return sig;
}

void stop_signals::watch(std::function<void(int)> on_signal) {
  RILL_ASSERT(!watcher_.joinable() && on_signal != nullptr);
  watcher_ = std::thread([this, on_signal = std::move(on_signal)] {
    int sig = wait();
    if (!released_.load()) on_signal(sig);
  });
}

}  // namespace rill
