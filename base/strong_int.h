// strong_int<Tag, T>: a domain integer that cannot be mixed up with another.
//
// Offsets, leader epochs, broker ids, partition ids and shard ids are all
// integers; wrapping each in its own type turns a swapped argument into a
// compile error.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace rill {

template <typename Tag, typename T>
class strong_int {
 public:
  using value_type = T;
  constexpr strong_int() = default;
  constexpr explicit strong_int(T v) : value_(v) {}
  constexpr T value() const { return value_; }
  constexpr auto operator<=>(const strong_int&) const = default;
  constexpr strong_int operator+(T delta) const { return strong_int(value_ + delta); }
  constexpr strong_int operator-(T delta) const { return strong_int(value_ - delta); }
  constexpr T operator-(strong_int other) const { return value_ - other.value_; }
  constexpr strong_int& operator+=(T delta) {
    value_ += delta;
    return *this;
  }

 private:
  T value_{};
};

}  // namespace rill

template <typename Tag, typename T>
struct std::hash<rill::strong_int<Tag, T>> {
  size_t operator()(rill::strong_int<Tag, T> v) const noexcept { return std::hash<T>{}(v.value()); }
};
