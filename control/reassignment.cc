#include "control/reassignment.h"

#include <algorithm>
#include <set>

#include "base/assert.h"
#include "base/log.h"

namespace rill::control {
namespace {

bool contains(const std::vector<int32_t>& v, int32_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// a minus b, in a's order.
std::vector<int32_t> minus(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  std::vector<int32_t> out;
  for (int32_t x : a) {
    if (!contains(b, x)) out.push_back(x);
  }
  return out;
}

partition_info* find(cluster_snapshot& s, const std::string& topic, int32_t partition) {
  auto t = s.topics.find(topic);
  if (t == s.topics.end() || partition < 0 ||
      partition >= static_cast<int32_t>(t->second.partitions.size())) {
    return nullptr;
  }
  return &t->second.partitions[static_cast<size_t>(partition)];
}

bool valid_target(const cluster_snapshot& s, const std::vector<int32_t>& target) {
  std::set<int32_t> seen;
  for (int32_t b : target) {
    if (!seen.insert(b).second || s.brokers.count(b) == 0) return false;
  }
  return !target.empty();
}

void check_invariants(const partition_info& p) {
  RILL_ASSERT(std::all_of(p.adding_replicas.begin(), p.adding_replicas.end(),
                          [&](int32_t r) { return contains(p.replicas, r); }),
              "partition %d: an adding replica outside the replicas", p.index);
  RILL_ASSERT(
      std::all_of(p.isr.begin(), p.isr.end(), [&](int32_t r) { return contains(p.replicas, r); }),
      "partition %d: an ISR member outside the replicas", p.index);
}

}  // namespace

const char* reassign_errc_name(reassign_errc e) {
  switch (e) {
    case reassign_errc::ok:
      return "ok";
    case reassign_errc::unknown_partition:
      return "unknown partition";
    case reassign_errc::invalid_assignment:
      return "invalid replica assignment";
    case reassign_errc::no_reassignment:
      return "no reassignment in progress";
  }
  return "?";
}

reassign_errc reassign_partition(cluster_snapshot& s, const std::string& topic, int32_t partition,
                                 const std::optional<std::vector<int32_t>>& target,
                                 std::vector<leader_change>* changes) {
  partition_info* p = find(s, topic, partition);
  if (p == nullptr) return reassign_errc::unknown_partition;
  std::vector<int32_t> original = minus(p->replicas, p->adding_replicas);
  if (!target) {
    if (!p->reassigning()) return reassign_errc::no_reassignment;
    RILL_INFO("control", "%s-%d: reassignment cancelled, back to %zu replicas", topic.c_str(),
              partition, original.size());
    p->replicas = original;
    p->isr = minus(p->isr, p->adding_replicas);
    p->adding_replicas.clear();
    p->removing_replicas.clear();
    p->partition_epoch++;
    if (!contains(p->replicas, p->leader)) {
      std::vector<leader_change> moved = elect_from_replicas(s, topic, ids::partition{partition});
      changes->insert(changes->end(), moved.begin(), moved.end());
    }
    check_invariants(*p);
    return reassign_errc::ok;
  }
  if (!valid_target(s, *target)) return reassign_errc::invalid_assignment;
  std::vector<int32_t> replicas = *target;
  for (int32_t r : minus(original, *target)) replicas.push_back(r);
  p->replicas = replicas;
  p->adding_replicas = minus(*target, original);
  p->removing_replicas = minus(original, *target);
  p->isr = minus(p->isr, p->adding_replicas);  // a redirected move's new ones start over
  p->partition_epoch++;
  RILL_INFO("control", "%s-%d: reassigning to %zu replicas (%zu adding, %zu removing)",
            topic.c_str(), partition, target->size(), p->adding_replicas.size(),
            p->removing_replicas.size());
  check_invariants(*p);
  complete_reassignment(s, topic, partition, changes);
  return reassign_errc::ok;
}

std::vector<reassign_errc> reassign_partitions(cluster_snapshot& s,
                                               const std::vector<partition_reassignment>& moves,
                                               std::vector<leader_change>* changes) {
  std::vector<reassign_errc> out;
  out.reserve(moves.size());
  for (const partition_reassignment& m : moves) {
    out.push_back(reassign_partition(s, m.topic, m.index, m.target, changes));
  }
  return out;
}

bool complete_reassignment(cluster_snapshot& s, const std::string& topic, int32_t partition,
                           std::vector<leader_change>* changes) {
  partition_info* p = find(s, topic, partition);
  if (p == nullptr || !p->reassigning()) return false;
  std::vector<int32_t> target = minus(p->replicas, p->removing_replicas);
  for (int32_t r : target) {
    if (!contains(p->isr, r)) return false;
  }
  p->replicas = target;
  p->isr = minus(p->isr, p->removing_replicas);
  p->adding_replicas.clear();
  p->removing_replicas.clear();
  p->partition_epoch++;
  RILL_INFO("control", "%s-%d: reassignment complete on %zu replicas", topic.c_str(), partition,
            target.size());
  if (!contains(p->replicas, p->leader)) {
    std::vector<leader_change> moved = elect_from_replicas(s, topic, ids::partition{partition});
    changes->insert(changes->end(), moved.begin(), moved.end());
  }
  RILL_ASSERT(!p->isr.empty(), "%s-%d: a completed reassignment left an empty ISR", topic.c_str(),
              partition);
  check_invariants(*p);
  return true;
}

}  // namespace rill::control
