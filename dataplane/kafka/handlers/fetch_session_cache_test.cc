// Fetch sessions (KIP-227) case by case: sessionless requests, opening a
// session, incremental requests that add, update and forget partitions,
// answers that carry only news, the epoch and id errors, closing, and
// eviction when the slots are full.
#include "dataplane/kafka/handlers/fetch_session_cache.h"

#include <gtest/gtest.h>

#include <memory>

namespace rill::kafka {
namespace {

constexpr uint64_t k_ms = 1000 * 1000;

fetch_request request(int32_t id, int32_t epoch, std::vector<fetch_topic> topics = {}) {
  fetch_request r;
  r.session_id = id;
  r.session_epoch = epoch;
  r.topics = std::move(topics);
  return r;
}

fetch_partition at(int32_t index, int64_t offset) {
  return {.index = index, .fetch_offset = offset, .max_bytes = 1 << 20};
}

// A response to plan: every partition with high watermark hw and, for
// those in with_records, one byte of records.
// A plan with the partitions begin() left in the request to read.
struct tested_plan : fetch_session_plan {
  std::vector<fetch_topic> topics;
};

tested_plan plan_for(fetch_session_cache& cache, fetch_request req, int16_t version,
                     uint64_t now_ns) {
  fetch_session_plan plan = cache.begin(req, version, now_ns);
  return {plan, std::move(req.topics)};
}

fetch_response answer(const tested_plan& plan, int64_t hw,
                      const std::vector<int32_t>& with_records = {}) {
  static const auto byte = std::make_shared<std::vector<uint8_t>>(1, 0);
  fetch_response r;
  for (const fetch_topic& t : plan.topics) {
    fetch_topic_response& tr = r.topics.emplace_back();
    tr.name = t.name;
    for (const fetch_partition& p : t.partitions) {
      fetch_partition_response& pr = tr.partitions.emplace_back();
      pr.index = p.index;
      pr.high_watermark = hw;
      pr.last_stable_offset = hw;
      pr.log_start_offset = 0;
      if (std::find(with_records.begin(), with_records.end(), p.index) != with_records.end()) {
        pr.records.slices.push_back({byte, std::span<const uint8_t>(*byte)});
        pr.records.bytes = 1;
      }
    }
  }
  return r;
}

std::vector<int32_t> indexes(const std::vector<fetch_topic>& topics) {
  std::vector<int32_t> out;
  for (const fetch_topic& t : topics) {
    for (const fetch_partition& p : t.partitions) out.push_back(p.index);
  }
  return out;
}

std::vector<int32_t> indexes(const fetch_response& r) {
  std::vector<int32_t> out;
  for (const fetch_topic_response& t : r.topics) {
    for (const fetch_partition_response& p : t.partitions) out.push_back(p.index);
  }
  return out;
}

TEST(fetch_session_cache, sessionless_requests_keep_no_state) {
  fetch_session_cache cache(10, 0, 1);
  auto plan = plan_for(cache, request(0, -1, {{"t", {at(0, 5)}}}), 12, 0);
  EXPECT_EQ(plan.error, error_code::none);
  EXPECT_EQ(plan.session_id, 0);
  EXPECT_FALSE(plan.incremental);
  EXPECT_EQ(indexes(plan.topics), (std::vector<int32_t>{0}));
  // Before v7 there are no sessions, whatever the fields say.
  plan = plan_for(cache, request(0, 0, {{"t", {at(0, 5)}}}), 6, 0);
  EXPECT_EQ(plan.session_id, 0);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(fetch_session_cache, an_incremental_request_reads_the_whole_session_and_answers_news) {
  fetch_session_cache cache(10, 0, 1);
  auto open = plan_for(cache, request(0, 0, {{"t", {at(0, 0), at(1, 0), at(2, 0)}}}), 12, 0);
  ASSERT_NE(open.session_id, 0);
  auto full = answer(open, 10, {0});
  cache.finish(open, full);
  EXPECT_EQ(full.session_id, open.session_id);
  EXPECT_EQ(indexes(full), (std::vector<int32_t>{0, 1, 2})) << "a full answer holds everything";

  // Epoch 1 names only partition 0 (its position moved); the session
  // still reads all three.
  auto next = plan_for(cache, request(open.session_id, 1, {{"t", {at(0, 1)}}}), 12, 1);
  ASSERT_EQ(next.error, error_code::none);
  EXPECT_TRUE(next.incremental);
  EXPECT_EQ(next.topics[0].partitions.size(), 3u);
  EXPECT_EQ(next.topics[0].partitions[0].fetch_offset, 1);
  // Nothing new anywhere: the answer is empty.
  auto quiet = answer(next, 10);
  cache.finish(next, quiet);
  EXPECT_TRUE(quiet.topics.empty());
  // Partition 2's high watermark moves and partition 1 has records.
  auto third = plan_for(cache, request(open.session_id, 2), 12, 2);
  auto news = answer(third, 10, {1});
  news.topics[0].partitions[2].high_watermark = 11;
  cache.finish(third, news);
  EXPECT_EQ(indexes(news), (std::vector<int32_t>{1, 2}));
  // Partition 1 returned records, so it goes to the back of the order.
  auto fourth = plan_for(cache, request(open.session_id, 3), 12, 3);
  EXPECT_EQ(indexes(fourth.topics), (std::vector<int32_t>{0, 2, 1}));
}

TEST(fetch_session_cache, forgotten_partitions_leave_and_new_ones_join) {
  fetch_session_cache cache(10, 0, 1);
  auto open = plan_for(cache, request(0, 0, {{"t", {at(0, 0), at(1, 0)}}}), 12, 0);
  auto r = answer(open, 0);
  cache.finish(open, r);
  auto req = request(open.session_id, 1, {{"u", {at(7, 3)}}});
  req.forgotten_topics.push_back({"t", {0}});
  auto plan = plan_for(cache, req, 12, 1);
  ASSERT_EQ(plan.topics.size(), 2u);
  EXPECT_EQ(plan.topics[0].name, "t");
  EXPECT_EQ(indexes(plan.topics), (std::vector<int32_t>{1, 7}));
  EXPECT_EQ(cache.partitions_in(open.session_id), 2u);
  // A partition seen for the first time is news.
  auto first = answer(plan, 0);
  cache.finish(plan, first);
  EXPECT_EQ(indexes(first), (std::vector<int32_t>{7}));
}

TEST(fetch_session_cache, a_wrong_epoch_or_unknown_id_fails_without_changing_the_session) {
  fetch_session_cache cache(10, 0, 1);
  auto open = plan_for(cache, request(0, 0, {{"t", {at(0, 0)}}}), 12, 0);
  auto stale = plan_for(cache, request(open.session_id, 5, {{"t", {at(1, 0)}}}), 12, 1);
  EXPECT_EQ(stale.error, error_code::invalid_fetch_session_epoch);
  EXPECT_EQ(cache.partitions_in(open.session_id), 1u);
  auto unknown = plan_for(cache, request(open.session_id + 1, 1), 12, 1);
  EXPECT_EQ(unknown.error, error_code::fetch_session_id_not_found);
  // The right epoch still works after the failures.
  EXPECT_EQ(plan_for(cache, request(open.session_id, 1), 12, 2).error, error_code::none);
  EXPECT_EQ(plan_for(cache, request(open.session_id, 1), 12, 3).error,
            error_code::invalid_fetch_session_epoch)
      << "an epoch is good once";
}

TEST(fetch_session_cache, epoch_zero_replaces_and_final_epoch_closes) {
  fetch_session_cache cache(10, 0, 1);
  auto open = plan_for(cache, request(0, 0, {{"t", {at(0, 0)}}}), 12, 0);
  auto reopened = plan_for(cache, request(open.session_id, 0, {{"t", {at(1, 0)}}}), 12, 1);
  EXPECT_NE(reopened.session_id, 0);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.partitions_in(reopened.session_id), 1u);
  auto closed = plan_for(cache, request(reopened.session_id, -1, {{"t", {at(1, 0)}}}), 12, 2);
  EXPECT_EQ(closed.session_id, 0);
  EXPECT_EQ(indexes(closed.topics), (std::vector<int32_t>{1}));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(fetch_session_cache, full_slots_evict_only_sessions_idle_long_enough) {
  fetch_session_cache cache(2, 100 * k_ms, 1);
  auto a = plan_for(cache, request(0, 0, {{"t", {at(0, 0)}}}), 12, 0);
  auto b = plan_for(cache, request(0, 0, {{"t", {at(1, 0)}}}), 12, 50 * k_ms);
  ASSERT_NE(a.session_id, 0);
  ASSERT_NE(b.session_id, 0);
  auto refused = plan_for(cache, request(0, 0, {{"t", {at(2, 0)}}}), 12, 60 * k_ms);
  EXPECT_EQ(refused.session_id, 0) << "no session idle for 100 ms yet: answered without one";
  EXPECT_EQ(indexes(refused.topics), (std::vector<int32_t>{2}));
  auto c = plan_for(cache, request(0, 0, {{"t", {at(3, 0)}}}), 12, 120 * k_ms);
  EXPECT_NE(c.session_id, 0);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(plan_for(cache, request(a.session_id, 1), 12, 121 * k_ms).error,
            error_code::fetch_session_id_not_found)
      << "the least recently used session was evicted";
  EXPECT_EQ(plan_for(cache, request(b.session_id, 1), 12, 121 * k_ms).error, error_code::none);
}

TEST(fetch_session_cache, no_slots_means_no_sessions) {
  fetch_session_cache cache(0, 0, 1);
  auto plan = plan_for(cache, request(0, 0, {{"t", {at(0, 0)}}}), 12, 0);
  EXPECT_EQ(plan.session_id, 0);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(fetch_session_cache, epochs_wrap_to_one) {
  EXPECT_EQ(next_session_epoch(1), 2);
  EXPECT_EQ(next_session_epoch(INT32_MAX), 1);
}

}  // namespace
}  // namespace rill::kafka
