#include "dataplane/group/consumer_group.h"

#include <gtest/gtest.h>

namespace rill::group {
namespace {

constexpr int32_t k_session_ms = 10000;
constexpr int32_t k_rebalance_ms = 30000;
constexpr int32_t k_delay_ms = 3000;

group_settings settings() {
  return {.initial_rebalance_delay_ms = k_delay_ms};
}

join_request join_of(const std::string& member_id, const std::string& client,
                     std::vector<protocol> protocols = {{"range", "m"}}) {
  return {.member_id = member_id,
          .client_id = client,
          .client_host = "/127.0.0.1",
          .session_timeout_ms = k_session_ms,
          .rebalance_timeout_ms = k_rebalance_ms,
          .protocol_type = "consumer",
          .protocols = std::move(protocols),
          .member_id_required = true};
}

// Joins a dynamic member the KIP-394 way; returns its id (it then waits).
std::string join_new(consumer_group& g, const std::string& client, int64_t now) {
  auto first = g.join(join_of("", client), now);
  EXPECT_TRUE(first.answer);
  EXPECT_EQ(first.answer->error, group_errc::member_id_required);
  std::string id = first.answer->member_id;
  auto second = g.join(join_of(id, client), now);
  EXPECT_FALSE(second.answer);
  EXPECT_EQ(second.member_id, id);
  return id;
}

// Brings the group with members a and b to Stable at generation 1.
struct stable_pair {
  consumer_group g{"g", settings(), 7};
  std::string a, b;
  int64_t now = 1000;
  stable_pair() {
    a = join_new(g, "a", now);
    b = join_new(g, "b", now);
    EXPECT_EQ(g.state(), group_state::preparing_rebalance);
    g.tick(now + k_delay_ms);
    now += k_delay_ms;
    EXPECT_EQ(g.state(), group_state::completing_rebalance);
    auto sa = g.sync({.member_id = a, .generation = 1, .assignments = {{a, "A"}, {b, "B"}}}, now);
    auto sb = g.sync({.member_id = b, .generation = 1}, now);
    EXPECT_FALSE(sa.answer);
    EXPECT_FALSE(sb.answer);
    EXPECT_TRUE(g.store_due());
    auto ticket = g.begin_store();
    EXPECT_TRUE(ticket.carries_assignments);
    g.finish_store(ticket, true, group_errc::ok, now);
    EXPECT_EQ(g.state(), group_state::stable);
  }
};

TEST(consumer_group, members_join_after_the_initial_delay_and_the_leader_assigns) {
  consumer_group g("g", settings(), 7);
  std::string a = join_new(g, "a", 0);
  std::string b = join_new(g, "b", 100);
  EXPECT_FALSE(g.tick(100 + k_delay_ms - 1)) << "the initial delay holds the round open";
  EXPECT_TRUE(g.tick(100 + k_delay_ms));
  EXPECT_EQ(g.generation(), 1);
  const member* ma = g.find_member(a);
  const member* mb = g.find_member(b);
  ASSERT_TRUE(ma->join_result && mb->join_result);
  EXPECT_EQ(ma->join_result->leader, a) << "the first to join leads";
  EXPECT_EQ(ma->join_result->members.size(), 2u) << "the leader sees every member";
  EXPECT_TRUE(mb->join_result->members.empty());
  EXPECT_EQ(mb->join_result->protocol_name, "range");
  // Assignments are visible only once stored.
  auto sb = g.sync({.member_id = b, .generation = 1}, 4000);
  auto sa = g.sync({.member_id = a, .generation = 1, .assignments = {{a, "A"}, {b, "B"}}}, 4000);
  EXPECT_FALSE(sa.answer || sb.answer);
  EXPECT_FALSE(g.find_member(b)->sync_result);
  auto ticket = g.begin_store();
  group_value stored = g.stored_value(0);
  ASSERT_EQ(stored.members.size(), 2u);
  g.finish_store(ticket, true, group_errc::ok, 4000);
  EXPECT_EQ(g.state(), group_state::stable);
  EXPECT_EQ(g.find_member(b)->sync_result->assignment, "B");
  EXPECT_EQ(g.find_member(a)->sync_result->assignment, "A");
}

TEST(consumer_group, a_failed_store_answers_the_syncs_with_the_error_and_rebalances) {
  consumer_group g("g", settings(), 7);
  std::string a = join_new(g, "a", 0);
  g.tick(k_delay_ms);
  (void)g.sync({.member_id = a, .generation = 1, .assignments = {{a, "A"}}}, k_delay_ms);
  auto ticket = g.begin_store();
  g.finish_store(ticket, false, group_errc::coordinator_not_available, k_delay_ms);
  EXPECT_EQ(g.find_member(a)->sync_result->error, group_errc::coordinator_not_available);
  EXPECT_EQ(g.state(), group_state::preparing_rebalance);
}

TEST(consumer_group, generations_and_member_ids_are_fenced) {
  stable_pair p;
  EXPECT_EQ(p.g.heartbeat(p.a, std::nullopt, 1, p.now), group_errc::ok);
  EXPECT_EQ(p.g.heartbeat(p.a, std::nullopt, 0, p.now), group_errc::illegal_generation);
  EXPECT_EQ(p.g.heartbeat("nobody", std::nullopt, 1, p.now), group_errc::unknown_member_id);
  EXPECT_EQ(p.g.join(join_of("nobody", "x"), p.now).answer->error, group_errc::unknown_member_id);
  EXPECT_EQ(p.g.sync({.member_id = p.b, .generation = 2}, p.now).answer->error,
            group_errc::illegal_generation);
  EXPECT_EQ(p.g.sync({.member_id = p.b, .generation = 1}, p.now).answer->assignment, "B");
}

TEST(consumer_group, a_new_member_starts_a_round_that_waits_for_the_others) {
  stable_pair p;
  std::string c = join_new(p.g, "c", p.now);
  EXPECT_EQ(p.g.state(), group_state::preparing_rebalance);
  EXPECT_EQ(p.g.heartbeat(p.a, std::nullopt, 1, p.now), group_errc::rebalance_in_progress);
  EXPECT_EQ(p.g.validate_commit(p.a, std::nullopt, 1), group_errc::ok)
      << "members commit what they consumed before rejoining";
  EXPECT_FALSE(p.g.join(join_of(p.a, "a"), p.now).answer);
  EXPECT_FALSE(p.g.tick(p.now + 1)) << "b has not rejoined";
  EXPECT_FALSE(p.g.join(join_of(p.b, "b"), p.now + 2).answer);
  EXPECT_EQ(p.g.state(), group_state::completing_rebalance) << "all rejoined: no delay";
  EXPECT_EQ(p.g.generation(), 2);
  EXPECT_EQ(p.g.find_member(c)->join_result->leader, p.a) << "the leader stays";
  EXPECT_EQ(p.g.validate_commit(p.a, std::nullopt, 2), group_errc::rebalance_in_progress);
}

TEST(consumer_group, a_member_that_does_not_rejoin_in_time_is_dropped) {
  stable_pair p;
  std::string c = join_new(p.g, "c", p.now);
  EXPECT_FALSE(p.g.join(join_of(p.a, "a"), p.now).answer);
  EXPECT_TRUE(p.g.tick(p.now + k_rebalance_ms));
  EXPECT_EQ(p.g.find_member(p.b), nullptr);
  EXPECT_EQ(p.g.members().size(), 2u);
  EXPECT_TRUE(p.g.find_member(c)->join_result);
}

TEST(consumer_group, a_silent_member_expires_after_its_session_timeout) {
  stable_pair p;
  EXPECT_EQ(p.g.heartbeat(p.a, std::nullopt, 1, p.now + k_session_ms), group_errc::ok);
  EXPECT_TRUE(p.g.tick(p.now + k_session_ms + 1));
  EXPECT_EQ(p.g.find_member(p.b), nullptr);
  EXPECT_EQ(p.g.state(), group_state::preparing_rebalance);
}

TEST(consumer_group, the_last_member_leaving_empties_the_group_and_bumps_the_generation) {
  stable_pair p;
  EXPECT_EQ(p.g.leave(p.a, std::nullopt, p.now), group_errc::ok);
  EXPECT_EQ(p.g.leave(p.a, std::nullopt, p.now), group_errc::unknown_member_id);
  EXPECT_EQ(p.g.state(), group_state::preparing_rebalance);
  EXPECT_EQ(p.g.leave(p.b, std::nullopt, p.now), group_errc::ok);
  EXPECT_EQ(p.g.state(), group_state::empty);
  EXPECT_EQ(p.g.generation(), 2);
  EXPECT_TRUE(p.g.store_due()) << "an emptied group's record is stored";
  EXPECT_EQ(p.g.validate_commit("", std::nullopt, -1), group_errc::ok) << "a simple commit";
}

TEST(consumer_group, members_must_share_the_protocol_type_and_a_protocol) {
  stable_pair p;
  auto other = join_of("", "x", {{"roundrobin", "m"}});
  EXPECT_EQ(p.g.join(other, p.now).answer->error, group_errc::inconsistent_group_protocol);
  auto connect = join_of("", "x");
  connect.protocol_type = "connect";
  EXPECT_EQ(p.g.join(connect, p.now).answer->error, group_errc::inconsistent_group_protocol);
  auto bad_timeout = join_of("", "x");
  bad_timeout.session_timeout_ms = 10;
  EXPECT_EQ(p.g.join(bad_timeout, p.now).answer->error, group_errc::invalid_session_timeout);
}

TEST(consumer_group, the_most_voted_common_protocol_is_chosen) {
  consumer_group g("g", settings(), 7);
  auto a = join_of("", "a", {{"range", ""}, {"roundrobin", ""}});
  auto b = join_of("", "b", {{"roundrobin", ""}, {"range", ""}});
  auto c = join_of("", "c", {{"roundrobin", ""}, {"sticky", ""}, {"range", ""}});
  for (auto* r : {&a, &b, &c}) {
    r->member_id_required = false;
    EXPECT_FALSE(g.join(*r, 0).answer);
  }
  g.tick(k_delay_ms);
  EXPECT_EQ(g.protocol_name(), "roundrobin");
}

TEST(consumer_group, a_restarted_static_member_takes_its_place_without_a_rebalance) {
  consumer_group g("g", settings(), 7);
  auto d = join_of("", "d");
  d.member_id_required = false;
  std::string leader = g.join(d, 0).member_id;
  auto s = join_of("", "s");
  s.instance_id = "instance-1";
  auto first = g.join(s, 0);
  ASSERT_FALSE(first.answer) << "static members need no MEMBER_ID_REQUIRED";
  g.tick(k_delay_ms);
  ASSERT_EQ(g.leader(), leader);
  (void)g.sync({.member_id = leader, .generation = 1, .assignments = {{first.member_id, "S"}}},
               k_delay_ms);
  auto t = g.begin_store();
  g.finish_store(t, true, group_errc::ok, k_delay_ms);
  ASSERT_EQ(g.state(), group_state::stable);
  s.protocols = {{"range", "other metadata: it owns nothing after its restart"}};
  auto again = g.join(s, k_delay_ms + 10);
  ASSERT_TRUE(again.answer);
  EXPECT_EQ(again.answer->error, group_errc::ok);
  EXPECT_NE(again.answer->member_id, first.member_id);
  EXPECT_EQ(g.state(), group_state::stable);
  EXPECT_EQ(g.generation(), 1);
  EXPECT_TRUE(g.store_due()) << "the record must name the new member id";
  EXPECT_EQ(g.heartbeat(first.member_id, "instance-1", 1, k_delay_ms + 20),
            group_errc::fenced_instance_id);
  EXPECT_EQ(
      g.sync({.member_id = again.answer->member_id, .instance_id = "instance-1", .generation = 1},
             k_delay_ms + 20)
          .answer->assignment,
      "S");
}

TEST(consumer_group, a_restarted_static_leader_keeps_leading_without_a_rebalance) {
  consumer_group g("g", settings(), 7);
  auto s = join_of("", "s");
  s.instance_id = "leader-instance";
  std::string first = g.join(s, 0).member_id;
  auto d = join_of("", "d");
  d.member_id_required = false;
  std::string other = g.join(d, 0).member_id;
  g.tick(k_delay_ms);
  ASSERT_EQ(g.leader(), first);
  (void)g.sync({.member_id = first, .generation = 1, .assignments = {{first, "L"}, {other, "O"}}},
               k_delay_ms);
  g.finish_store(g.begin_store(), true, group_errc::ok, k_delay_ms);
  auto again = g.join(s, k_delay_ms + 10);
  ASSERT_TRUE(again.answer);
  EXPECT_EQ(again.answer->leader, again.answer->member_id) << "it still leads, under its new id";
  EXPECT_EQ(again.answer->members.size(), 2u) << "the leader gets the member list again";
  EXPECT_EQ(g.state(), group_state::stable);
  EXPECT_EQ(g.heartbeat(other, std::nullopt, 1, k_delay_ms + 20), group_errc::ok)
      << "the other member sees no rebalance";
  auto synced = g.sync({.member_id = again.answer->member_id,
                        .instance_id = "leader-instance",
                        .generation = 1,
                        .assignments = {{other, "ignored in Stable"}}},
                       k_delay_ms + 20);
  EXPECT_EQ(synced.answer->assignment, "L");
}

TEST(consumer_group, a_stored_group_is_restored_stable_with_its_assignments) {
  stable_pair p;
  group_value stored = p.g.stored_value(0);
  consumer_group restored("g", settings(), 8);
  restored.restore(stored, 50);
  EXPECT_EQ(restored.state(), group_state::stable);
  EXPECT_EQ(restored.generation(), 1);
  EXPECT_EQ(restored.leader(), p.a);
  EXPECT_EQ(restored.heartbeat(p.b, std::nullopt, 1, 60), group_errc::ok);
  EXPECT_EQ(restored.sync({.member_id = p.b, .generation = 1}, 60).answer->assignment, "B");
}

TEST(consumer_group, state_names_are_kafkas_and_parse_back) {
  EXPECT_STREQ(group_state_name(group_state::completing_rebalance), "CompletingRebalance");
  EXPECT_EQ(parse_group_state("stable"), group_state::stable);
  EXPECT_EQ(parse_group_state("PreparingRebalance"), group_state::preparing_rebalance);
  EXPECT_FALSE(parse_group_state("Rebalancing"));
}

}  // namespace
}  // namespace rill::group
