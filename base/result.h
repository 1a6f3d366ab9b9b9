// result<T, E>: the value of an operation that can fail in an expected way.
//
// Expected failures (not leader, queue full, disk full, bad request) are
// returned, never thrown. E is an error enum of the library that produced
// it; its zero value must mean "no error".
#pragma once

#include <optional>
#include <utility>

#include "base/assert.h"

namespace rill {

template <typename T, typename E>
class [[nodiscard]] result {
 public:
  result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  result(E error) : error_(error) {              // NOLINT: implicit by design
    RILL_ASSERT(error != E{}, "a failed result needs a non-zero error");
  }

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  E error() const { return error_; }

  T& value() & {
    RILL_ASSERT(ok(), "value() of a failed result (error %d)", static_cast<int>(error_));
    return *value_;
  }
  const T& value() const& {
    RILL_ASSERT(ok(), "value() of a failed result (error %d)", static_cast<int>(error_));
    return *value_;
  }
  T&& value() && {
    RILL_ASSERT(ok(), "value() of a failed result (error %d)", static_cast<int>(error_));
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::optional<T> value_;
  E error_{};
};

}  // namespace rill
