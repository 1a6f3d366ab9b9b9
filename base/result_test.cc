#include "base/result.h"

#include <gtest/gtest.h>

#include <string>

namespace rill {
namespace {

enum class sample_errc { ok = 0, not_found };

TEST(result, carries_a_value) {
  result<std::string, sample_errc> r(std::string("x"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), "x");
}

TEST(result, carries_an_error) {
  result<int, sample_errc> r(sample_errc::not_found);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error(), sample_errc::not_found);
}

TEST(result_death, value_of_a_failed_result_aborts) {
  result<int, sample_errc> r(sample_errc::not_found);
  EXPECT_DEATH((void)r.value(), "value\\(\\) of a failed result");
}

}  // namespace
}  // namespace rill
