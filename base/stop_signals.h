// stop_signals: how every Rill process (broker, controller, `rill dev`)
// learns it should stop. Constructed on the main thread before any other
// thread starts: SIGTERM and SIGINT are blocked there, and every thread
// started later inherits the mask, so only wait() or the watcher thread
// ever takes them. SIGPIPE is ignored (a peer that goes away is an error
// code on the socket, not a signal).
#pragma once

#include <signal.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

namespace rill {

class stop_signals {
 public:
  stop_signals();
  ~stop_signals();  // releases and joins the watcher, if any
  stop_signals(const stop_signals&) = delete;
  stop_signals& operator=(const stop_signals&) = delete;

  // Blocks the calling thread until SIGTERM or SIGINT; returns which.
  int wait();
  // Runs on_signal(sig) on a thread of its own when SIGTERM or SIGINT
  // arrives. If the process stops on its own first, the destructor
  // releases that thread (within k_watch_poll) and on_signal never runs.
  void watch(std::function<void(int)> on_signal);

  static const char* name(int sig) { return sig == SIGTERM ? "SIGTERM" : "SIGINT"; }

 private:
  static constexpr std::chrono::milliseconds k_forever{-1};
  static constexpr std::chrono::milliseconds k_watch_poll{50};
  // One pending SIGTERM or SIGINT, waiting at most timeout; 0 if none came.
  int take(std::chrono::milliseconds timeout);

  sigset_t set_;
  std::thread watcher_;
  std::atomic<bool> released_{false};
};

}  // namespace rill
