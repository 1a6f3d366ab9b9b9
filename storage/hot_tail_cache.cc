#include "storage/hot_tail_cache.h"

#include "base/assert.h"

namespace rill::storage {

hot_tail_cache::~hot_tail_cache() {
  RILL_ASSERT(head_ == nullptr, "hot tail cache destroyed with members");
}

void hot_tail_cache::unlink(member* m) {
  if (m->prev_ != nullptr) {
    m->prev_->next_ = m->next_;
  } else {
    head_ = m->next_;
  }
  if (m->next_ != nullptr) {
    m->next_->prev_ = m->prev_;
  } else {
    tail_ = m->prev_;
  }
  m->prev_ = m->next_ = nullptr;
}

void hot_tail_cache::link_last(member* m) {
  m->prev_ = tail_;
  m->next_ = nullptr;
  if (tail_ != nullptr) {
    tail_->next_ = m;
  } else {
    head_ = m;
  }
  tail_ = m;
}

void hot_tail_cache::join(member* m) {
  RILL_ASSERT(!m->joined_, "a log joined the hot tail cache twice");
  m->joined_ = true;
  m->bytes_ = 0;
  // A new log has not been read yet: it is the first to give memory up.
  m->next_ = head_;
  m->prev_ = nullptr;
  if (head_ != nullptr) {
    head_->prev_ = m;
  } else {
    tail_ = m;
  }
  head_ = m;
}

void hot_tail_cache::leave(member* m) {
  if (!m->joined_) return;
  RILL_ASSERT(m->bytes_ == 0, "a log left the hot tail cache holding %zu bytes", m->bytes_);
  unlink(m);
  m->joined_ = false;
}

void hot_tail_cache::read(member* m) {
  if (!m->joined_ || tail_ == m) return;
  unlink(m);
  link_last(m);
}

void hot_tail_cache::shrank(member* m, size_t bytes) {
  RILL_ASSERT(m->bytes_ >= bytes && bytes_ >= bytes, "shrinking by %zu, member has %zu", bytes,
              m->bytes_);
  m->bytes_ -= bytes;
  bytes_ -= bytes;
}

void hot_tail_cache::grew(member* m, size_t bytes) {
  RILL_ASSERT(m->joined_, "a log that did not join grew in the hot tail cache");
  m->bytes_ += bytes;
  bytes_ += bytes;
  if (budget_bytes_ == 0 || bytes_ <= budget_bytes_ || evicting_) return;
  // Least recently read first; each member gives up what it can. A member
  // may leave or move while it evicts, so the next one is taken first.
  evicting_ = true;
  member* at = head_;
  while (at != nullptr && bytes_ > budget_bytes_) {
    member* next = at->next_;
    if (at->bytes_ > 0) evicted_bytes_ += at->evict_hot_tail(bytes_ - budget_bytes_);
    at = next;
  }
  evicting_ = false;
}

}  // namespace rill::storage
