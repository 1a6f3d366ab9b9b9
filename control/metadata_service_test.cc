#include "control/metadata_service.h"

#include <gtest/gtest.h>

#include "storage/memory_file_io.h"
#include "storage/testing/file_io_contract.h"

namespace rill::control {
namespace {

using storage::testing::sync_await;

class metadata_service_test : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(io_.make_dirs("/meta"), storage::io_errc::ok);
    ASSERT_EQ(sync_await(service_.load()), topic_errc::ok);
    for (int32_t id : {1, 2, 3}) {
      ASSERT_EQ(sync_await(service_.upsert_broker({id, "127.0.0.1", 9091 + id, {}, true})),
                topic_errc::ok);
    }
  }
  storage::memory_file_io io_;
  metadata_service service_{io_,
                            {.dir = "/meta", .default_partitions = 3, .replication_factor_max = 3}};
};

TEST_F(metadata_service_test, created_topics_survive_a_restart) {
  auto out = sync_await(service_.create_topics({{.name = "orders",
                                                 .partitions = 4,
                                                 .replication_factor = 3,
                                                 .configs = {{"retention.ms", "1000"}}}},
                                               false));
  ASSERT_EQ(out[0].error, topic_errc::ok) << out[0].message;
  metadata_service again(io_, {.dir = "/meta"});
  ASSERT_EQ(sync_await(again.load()), topic_errc::ok);
  const topic_info* t = again.snapshot()->find_topic("orders");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->partitions.size(), 4u);
  EXPECT_EQ(t->partitions[0].replicas.size(), 3u);
  EXPECT_EQ(t->configs.at("retention.ms"), "1000");
  EXPECT_EQ(again.snapshot()->epoch, service_.snapshot()->epoch);
}

TEST_F(metadata_service_test, producer_id_blocks_are_stored_and_never_repeat_across_a_restart) {
  int64_t first = -1, second = -1;
  ASSERT_EQ(sync_await(service_.update([&](cluster_snapshot& s) {
              first = take_producer_id_block(s);
              second = take_producer_id_block(s);
              return true;
            })),
            topic_errc::ok);
  EXPECT_EQ(second - first, k_producer_id_block);
  metadata_service again(io_, {.dir = "/meta"});
  ASSERT_EQ(sync_await(again.load()), topic_errc::ok);
  int64_t third = -1;
  ASSERT_EQ(sync_await(again.update([&](cluster_snapshot& s) {
              third = take_producer_id_block(s);
              return true;
            })),
            topic_errc::ok);
  EXPECT_EQ(third, second + k_producer_id_block) << "a restarted store hands out no used block";
}

TEST_F(metadata_service_test, partitions_are_added_placed_or_where_asked_and_never_removed) {
  ASSERT_EQ(sync_await(service_.create_topics(
                {{.name = "t", .partitions = 2, .replication_factor = 2}}, false))[0]
                .error,
            topic_errc::ok);
  auto validated = sync_await(service_.create_partitions({{"t", 4, {}}}, true));
  EXPECT_EQ(validated[0].error, topic_errc::ok);
  EXPECT_EQ(service_.snapshot()->find_topic("t")->partitions.size(), 2u) << "validate only";
  auto out = sync_await(service_.create_partitions({{"t", 4, {}}}, false));
  ASSERT_EQ(out[0].error, topic_errc::ok) << out[0].message;
  const topic_info* t = service_.snapshot()->find_topic("t");
  ASSERT_EQ(t->partitions.size(), 4u);
  for (const partition_info& p : t->partitions) {
    EXPECT_EQ(p.replicas.size(), 2u) << "the topic's replication factor";
    EXPECT_EQ(p.leader, p.replicas.front());
    EXPECT_EQ(p.isr, p.replicas);
  }
  auto manual = sync_await(service_.create_partitions({{"t", 5, {{3, 1}}}}, false));
  ASSERT_EQ(manual[0].error, topic_errc::ok);
  EXPECT_EQ(service_.snapshot()->find_topic("t")->partitions[4].replicas,
            (std::vector<int32_t>{3, 1}));
  auto refused = sync_await(service_.create_partitions(
      {{"t", 3, {}}, {"t", 7, {{1, 1}, {2, 3}}}, {"t", 6, {{1, 9}}}, {"nope", 2, {}}}, false));
  EXPECT_EQ(refused[0].error, topic_errc::invalid_partitions) << "no fewer partitions";
  EXPECT_EQ(refused[1].error, topic_errc::invalid_replica_assignment) << "a broker twice";
  EXPECT_EQ(refused[2].error, topic_errc::invalid_replica_assignment) << "an unknown broker";
  EXPECT_EQ(refused[3].error, topic_errc::unknown_topic);
  EXPECT_EQ(service_.snapshot()->find_topic("t")->partitions.size(), 5u);
}

TEST_F(metadata_service_test, a_topic_is_placed_where_its_creator_asks) {
  auto out = sync_await(
      service_.create_topics({{.name = "manual", .assignments = {{3, 1}, {2, 3}, {1, 2}}},
                              {.name = "twice", .assignments = {{1, 1}}},
                              {.name = "uneven", .assignments = {{1, 2}, {3}}},
                              {.name = "counted", .partitions = 2, .assignments = {{1}, {2}}}},
                             false));
  ASSERT_EQ(out[0].error, topic_errc::ok) << out[0].message;
  EXPECT_EQ(out[1].error, topic_errc::invalid_replica_assignment);
  EXPECT_EQ(out[2].error, topic_errc::invalid_replica_assignment);
  EXPECT_EQ(out[3].error, topic_errc::invalid_replica_assignment);
  const topic_info* t = service_.snapshot()->find_topic("manual");
  ASSERT_EQ(t->partitions.size(), 3u);
  EXPECT_EQ(t->partitions[0].replicas, (std::vector<int32_t>{3, 1}));
  EXPECT_EQ(t->partitions[0].leader, 3);
  EXPECT_EQ(t->partitions[2].isr, (std::vector<int32_t>{1, 2}));
}

TEST_F(metadata_service_test, bad_requests_are_refused_with_a_reason) {
  auto out = sync_await(service_.create_topics({{.name = "bad name!"},
                                                {.name = "t", .replication_factor = 4},
                                                {.name = "c", .configs = {{"x", "1"}}},
                                                {.name = "p", .partitions = 0}},
                                               false));
  EXPECT_EQ(out[0].error, topic_errc::invalid_name);
  EXPECT_EQ(out[1].error, topic_errc::invalid_replication_factor);
  EXPECT_EQ(out[2].error, topic_errc::invalid_config);
  EXPECT_EQ(out[3].error, topic_errc::invalid_partitions);
  EXPECT_TRUE(service_.snapshot()->topics.empty());
}

TEST_F(metadata_service_test, validate_only_changes_nothing_and_duplicates_are_refused) {
  auto v = sync_await(service_.create_topics({{.name = "t"}}, true));
  EXPECT_EQ(v[0].error, topic_errc::ok);
  EXPECT_EQ(service_.snapshot()->find_topic("t"), nullptr);
  EXPECT_EQ(sync_await(service_.create_topics({{.name = "t"}}, false))[0].error, topic_errc::ok);
  EXPECT_EQ(sync_await(service_.create_topics({{.name = "t"}}, false))[0].error,
            topic_errc::already_exists);
  EXPECT_EQ(sync_await(service_.delete_topics({"t", "nope"}))[1].error, topic_errc::unknown_topic);
  EXPECT_EQ(service_.snapshot()->find_topic("t"), nullptr);
}

// An ISR change of one partition, as the controller makes them.
task<topic_errc> shrink_isr(metadata_service& service, const std::string& topic, int32_t p) {
  co_return co_await service.update([&](cluster_snapshot& s) {
    partition_info& info = s.topics[topic].partitions[static_cast<size_t>(p)];
    info.isr.pop_back();
    ++info.partition_epoch;
    return true;
  });
}

TEST_F(metadata_service_test, changes_are_stored_as_deltas_and_compacted_into_snapshots) {
  auto out = sync_await(service_.create_topics(
      {{.name = "wide", .partitions = 2000, .replication_factor = 3}}, false));
  ASSERT_EQ(out[0].error, topic_errc::ok) << out[0].message;
  auto before = service_.counters();
  for (int32_t p = 0; p < 2000; ++p) {
    ASSERT_EQ(sync_await(shrink_isr(service_, "wide", p)), topic_errc::ok);
  }
  auto after = service_.counters();
  uint64_t changes = after.deltas_appended + after.snapshots_written - before.deltas_appended -
                     before.snapshots_written;
  EXPECT_EQ(changes, 2000u);
  // The log is compacted once it outweighs the snapshot (about 70 KB here):
  // a handful of snapshots, every other change a delta of about 60 bytes.
  EXPECT_GE(after.snapshots_written - before.snapshots_written, 1u);
  EXPECT_LE(after.snapshots_written - before.snapshots_written, 3u);
  uint64_t per_change = (after.bytes_written - before.bytes_written) / changes;
  EXPECT_LT(per_change, 400u) << "bytes stored per change";
  EXPECT_GT(serialize_snapshot(*service_.snapshot()).size(), 50000u);

  metadata_service again(io_, {.dir = "/meta"});
  ASSERT_EQ(sync_await(again.load()), topic_errc::ok);
  EXPECT_EQ(serialize_snapshot(*again.snapshot()), serialize_snapshot(*service_.snapshot()));
}

TEST_F(metadata_service_test, a_delta_cut_short_by_a_crash_is_dropped_and_the_log_goes_on) {
  ASSERT_EQ(sync_await(service_.create_topics({{.name = "t", .partitions = 3}}, false))[0].error,
            topic_errc::ok);
  ASSERT_EQ(sync_await(shrink_isr(service_, "t", 0)), topic_errc::ok);
  int64_t acknowledged = service_.snapshot()->epoch;
  // Half a record at the end of the log: a write the crash cut short.
  auto fd = sync_await(io_.open("/meta/cluster-metadata.log", storage::open_mode::read_write,
                                storage::direct_io::off));
  ASSERT_TRUE(fd.ok());
  uint64_t end = io_.file_size(fd.value()).value();
  std::vector<uint8_t> torn = {0, 0, 1, 0, 0xde, 0xad, 'r', 'i'};
  ASSERT_EQ(sync_await(io_.write_at(fd.value(), end, torn)), storage::io_errc::ok);
  ASSERT_EQ(sync_await(io_.close(fd.value())), storage::io_errc::ok);

  metadata_service again(io_, {.dir = "/meta"});
  ASSERT_EQ(sync_await(again.load()), topic_errc::ok);
  EXPECT_EQ(again.snapshot()->epoch, acknowledged);
  ASSERT_EQ(sync_await(shrink_isr(again, "t", 1)), topic_errc::ok);
  metadata_service third(io_, {.dir = "/meta"});
  ASSERT_EQ(sync_await(third.load()), topic_errc::ok);
  EXPECT_EQ(third.snapshot()->epoch, acknowledged + 1);
  EXPECT_EQ(third.snapshot()->find_partition("t", 1)->isr.size(), 0u);
}

TEST_F(metadata_service_test, followers_get_the_deltas_they_miss_or_else_the_snapshot) {
  ASSERT_EQ(sync_await(service_.create_topics({{.name = "t", .partitions = 3}}, false))[0].error,
            topic_errc::ok);
  snapshot_ptr old = service_.snapshot();
  for (int32_t p = 0; p < 3; ++p)
    ASSERT_EQ(sync_await(shrink_isr(service_, "t", p)), topic_errc::ok);
  auto deltas = service_.deltas_after(old->epoch);
  ASSERT_TRUE(deltas.has_value());
  ASSERT_EQ(deltas->size(), 3u);
  cluster_snapshot replayed = *old;
  for (const auto& d : *deltas) ASSERT_TRUE(apply_delta(*d, &replayed));
  EXPECT_EQ(serialize_snapshot(replayed), serialize_snapshot(*service_.snapshot()));
  EXPECT_TRUE(service_.deltas_after(service_.snapshot()->epoch)->empty());
  EXPECT_FALSE(service_.deltas_after(-1).has_value());  // a broker that knows nothing yet
  // After a restart the service remembers no deltas: followers take the snapshot.
  metadata_service again(io_, {.dir = "/meta"});
  ASSERT_EQ(sync_await(again.load()), topic_errc::ok);
  EXPECT_FALSE(again.deltas_after(old->epoch).has_value());
}

}  // namespace
}  // namespace rill::control
