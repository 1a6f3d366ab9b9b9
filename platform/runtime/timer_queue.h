// timer_queue: the deadlines of one shard, ordered by time.
//
// Owned by a shard and touched only from its thread. Nodes are intrusive
// and owned by their caller (usually a coroutine frame); a node must be
// cancelled before its memory goes away. expire() fires every node whose
// deadline has passed, in deadline order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>

namespace rill::runtime {

class timer_node {
 public:
  virtual void on_timer() = 0;
  bool armed() const { return armed_; }

 protected:
  ~timer_node() = default;

 private:
  friend class timer_queue;
  bool armed_ = false;
  std::multimap<uint64_t, timer_node*>::iterator position_;
};

class timer_queue {
 public:
  void arm(timer_node* node, uint64_t deadline_ns);
  void cancel(timer_node* node);
  // Fires all nodes due at now_ns; returns how many fired.
  int expire(uint64_t now_ns);
  // The earliest deadline, or UINT64_MAX when empty.
  uint64_t next_deadline_ns() const;
  size_t size() const { return nodes_.size(); }

 private:
  std::multimap<uint64_t, timer_node*> nodes_;
};

}  // namespace rill::runtime
