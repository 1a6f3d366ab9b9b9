#include "control/election.h"

#include <algorithm>

#include "base/assert.h"
#include "base/log.h"

namespace rill::control {
namespace {

bool contains(const std::vector<int32_t>& v, int32_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

bool unclean_allowed(const topic_info& t) {
  auto it = t.configs.find("unclean.leader.election.enable");
  return it != t.configs.end() && it->second == "true";
}

void set_leader(topic_info& t, partition_info& p, int32_t leader, bool unclean,
                std::vector<leader_change>* out) {
  RILL_ASSERT(leader < 0 || contains(p.replicas, leader), "%s-%d: leader %d is not a replica",
              t.name.c_str(), p.index, leader);
  RILL_ASSERT(unclean || leader < 0 || contains(p.isr, leader),
              "%s-%d: clean election of %d from outside the ISR", t.name.c_str(), p.index, leader);
  int32_t old = p.leader;
  p.leader = leader;
  p.leader_epoch++;
  p.partition_epoch++;
  if (unclean) {
    p.isr = {leader};
    RILL_ERROR("control",
               "UNCLEAN leader election for %s-%d: broker %d leads without being in sync; records "
               "acknowledged by the old ISR may be lost",
               t.name.c_str(), p.index, leader);
  }
  out->push_back({t.name, p.index, old, leader, p.leader_epoch, unclean});
}

// A replica that may lead or join the ISR: its broker is alive and its log
// is not offline.
bool replica_usable(const cluster_snapshot& s, const partition_info& p, int32_t r) {
  return broker_alive(s, ids::broker{r}) && !contains(p.offline_replicas, r);
}

// The first usable ISR member in replica order, or -1.
int32_t clean_candidate(const cluster_snapshot& s, const partition_info& p) {
  for (int32_t r : p.replicas) {
    if (contains(p.isr, r) && replica_usable(s, p, r)) return r;
  }
  return -1;
}

int32_t unclean_candidate(const cluster_snapshot& s, const partition_info& p) {
  for (int32_t r : p.replicas) {
    if (replica_usable(s, p, r)) return r;
  }
  return -1;
}

// Elects where the partition has no leader or its leader became unusable:
// clean first, unclean only when the topic allows it.
void reelect(const cluster_snapshot& s, topic_info& t, partition_info& p,
             std::vector<leader_change>* out) {
  int32_t next = clean_candidate(s, p);
  bool unclean = false;
  if (next < 0 && unclean_allowed(t)) {
    next = unclean_candidate(s, p);
    unclean = next >= 0;
  }
  if (next != p.leader) set_leader(t, p, next, unclean, out);
}

// The partition when broker holds one of its replicas (out->known), else null.
partition_info* find_replica(cluster_snapshot& s, int32_t broker, const std::string& topic,
                             int32_t partition, topic_info** t_out, replica_state_change* out) {
  RILL_ASSERT(*t_out == nullptr && !out->known, "find_replica takes fresh outputs");
  auto t = s.topics.find(topic);
  if (t == s.topics.end() || partition < 0 ||
      partition >= static_cast<int32_t>(t->second.partitions.size())) {
    return nullptr;
  }
  partition_info& p = t->second.partitions[static_cast<size_t>(partition)];
  if (!contains(p.replicas, broker)) return nullptr;
  *t_out = &t->second;
  out->known = true;
  return &p;
}

}  // namespace

std::vector<leader_change> elect_from_replicas(cluster_snapshot& s, const std::string& topic,
                                               ids::partition partition_id) {
  const int32_t partition = partition_id.value();
  std::vector<leader_change> out;
  auto t = s.topics.find(topic);
  if (t == s.topics.end() || partition < 0 ||
      partition >= static_cast<int32_t>(t->second.partitions.size())) {
    return out;
  }
  partition_info& p = t->second.partitions[static_cast<size_t>(partition)];
  if (contains(p.replicas, p.leader) && replica_usable(s, p, p.leader)) return out;
  reelect(s, t->second, p, &out);
  RILL_ASSERT(p.leader < 0 || contains(p.replicas, p.leader), "%s-%d elected %d, not a replica",
              topic.c_str(), partition, p.leader);
  return out;
}

const char* isr_change_errc_name(isr_change_errc e) {
  switch (e) {
    case isr_change_errc::ok:
      return "ok";
    case isr_change_errc::unknown_partition:
      return "unknown partition";
    case isr_change_errc::not_leader:
      return "not the leader";
    case isr_change_errc::fenced_leader_epoch:
      return "fenced leader epoch";
    case isr_change_errc::stale_partition_epoch:
      return "stale partition epoch";
    case isr_change_errc::invalid_isr:
      return "invalid ISR";
  }
  return "?";
}

bool broker_alive(const cluster_snapshot& s, ids::broker broker) {
  auto it = s.brokers.find(broker.value());
  return it != s.brokers.end() && it->second.alive;
}

std::vector<leader_change> fence_broker(cluster_snapshot& s, ids::broker broker_id) {
  const int32_t broker = broker_id.value();
  std::vector<leader_change> out;
  auto b = s.brokers.find(broker);
  if (b == s.brokers.end() || !b->second.alive) return out;
  b->second.alive = false;
  for (auto& [name, t] : s.topics) {
    for (partition_info& p : t.partitions) {
      if (!contains(p.replicas, broker)) continue;
      if (contains(p.isr, broker) && p.isr.size() > 1) {
        p.isr.erase(std::remove(p.isr.begin(), p.isr.end(), broker), p.isr.end());
        p.partition_epoch++;
      }
      if (p.leader != broker) continue;
      reelect(s, t, p, &out);  // the fenced broker is no candidate: never keeps it
      RILL_ASSERT(p.leader != broker, "%s-%d still led by fenced broker %d", name.c_str(), p.index,
                  broker);
    }
  }
  return out;
}

std::vector<leader_change> unfence_broker(cluster_snapshot& s, ids::broker broker_id) {
  const int32_t broker = broker_id.value();
  std::vector<leader_change> out;
  auto b = s.brokers.find(broker);
  if (b == s.brokers.end()) return out;
  b->second.alive = true;
  for (auto& [name, t] : s.topics) {
    for (partition_info& p : t.partitions) {
      if (p.leader >= 0 || !contains(p.replicas, broker)) continue;
      int32_t next = clean_candidate(s, p);
      if (next >= 0) {
        set_leader(t, p, next, false, &out);
      } else if (unclean_allowed(t)) {
        next = unclean_candidate(s, p);
        if (next >= 0) set_leader(t, p, next, true, &out);
      }
    }
  }
  return out;
}

std::vector<leader_change> elect_preferred_leaders(cluster_snapshot& s) {
  std::vector<leader_change> out;
  for (auto& [name, t] : s.topics) {
    for (partition_info& p : t.partitions) {
      if (p.replicas.empty()) continue;
      int32_t preferred = p.replicas.front();
      if (p.leader == preferred || !replica_usable(s, p, preferred) || !contains(p.isr, preferred))
        continue;
      set_leader(t, p, preferred, false, &out);
      RILL_ASSERT(p.leader == preferred && contains(p.isr, preferred));
    }
  }
  return out;
}

std::vector<leader_change> move_leadership_off(cluster_snapshot& s, ids::broker broker_id) {
  const int32_t broker = broker_id.value();
  std::vector<leader_change> out;
  for (auto& [name, t] : s.topics) {
    for (partition_info& p : t.partitions) {
      if (p.leader != broker) continue;
      for (int32_t r : p.replicas) {
        if (r != broker && contains(p.isr, r) && replica_usable(s, p, r)) {
          set_leader(t, p, r, false, &out);
          break;
        }
      }
      RILL_ASSERT(p.leader == broker || contains(p.isr, p.leader), "%s-%d moved outside the ISR",
                  name.c_str(), p.index);
    }
  }
  return out;
}

isr_change_errc change_isr(cluster_snapshot& s, const isr_change_request& r) {
  const int32_t partition = r.partition.value();
  const int32_t leader = r.leader.value();
  const int32_t leader_epoch = r.leader_epoch.value();
  const std::vector<int32_t>& new_isr = r.new_isr;
  auto t = s.topics.find(r.topic);
  if (t == s.topics.end() || partition < 0 ||
      partition >= static_cast<int32_t>(t->second.partitions.size())) {
    return isr_change_errc::unknown_partition;
  }
  partition_info& p = t->second.partitions[static_cast<size_t>(partition)];
  if (leader_epoch < p.leader_epoch) return isr_change_errc::fenced_leader_epoch;
  if (p.leader != leader || leader_epoch != p.leader_epoch) return isr_change_errc::not_leader;
  if (r.partition_epoch.value() != p.partition_epoch) return isr_change_errc::stale_partition_epoch;
  if (!contains(new_isr, leader)) return isr_change_errc::invalid_isr;
  for (int32_t member : new_isr) {
    if (!contains(p.replicas, member)) return isr_change_errc::invalid_isr;
    if (!contains(p.isr, member) && !replica_usable(s, p, member))
      return isr_change_errc::invalid_isr;
  }
  int32_t before = p.partition_epoch;
  p.isr = new_isr;
  p.partition_epoch++;
  RILL_ASSERT(contains(p.isr, p.leader) && p.partition_epoch == before + 1);
  return isr_change_errc::ok;
}

replica_state_change set_replica_offline(cluster_snapshot& s, ids::broker broker_id,
                                         const std::string& topic, ids::partition partition_id) {
  const int32_t broker = broker_id.value();
  const int32_t partition = partition_id.value();
  replica_state_change out;
  topic_info* t = nullptr;
  partition_info* p = find_replica(s, broker, topic, partition, &t, &out);
  if (p == nullptr || contains(p->offline_replicas, broker)) return out;
  p->offline_replicas.push_back(broker);
  p->partition_epoch++;
  out.changed = true;
  // As for a fenced broker: out of the ISR unless it is the last member, so
  // that the partition waits for it rather than for a replica missing data.
  if (contains(p->isr, broker) && p->isr.size() > 1) {
    p->isr.erase(std::remove(p->isr.begin(), p->isr.end(), broker), p->isr.end());
  }
  if (p->leader == broker) {
    reelect(s, *t, *p, &out.leaders);
  }
  RILL_ASSERT(p->leader != broker, "%s-%d still led by offline replica %d", topic.c_str(),
              partition, broker);
  return out;
}

replica_state_change set_replica_online(cluster_snapshot& s, ids::broker broker_id,
                                        const std::string& topic, ids::partition partition_id) {
  const int32_t broker = broker_id.value();
  const int32_t partition = partition_id.value();
  replica_state_change out;
  topic_info* t = nullptr;
  partition_info* p = find_replica(s, broker, topic, partition, &t, &out);
  if (p == nullptr || !contains(p->offline_replicas, broker)) return out;
  std::erase(p->offline_replicas, broker);
  p->partition_epoch++;
  out.changed = true;
  if (p->leader < 0) reelect(s, *t, *p, &out.leaders);
  return out;
}

std::vector<leader_change> clear_offline_replicas(cluster_snapshot& s, ids::broker broker_id) {
  const int32_t broker = broker_id.value();
  std::vector<leader_change> out;
  for (auto& [name, t] : s.topics) {
    for (partition_info& p : t.partitions) {
      if (!contains(p.offline_replicas, broker)) continue;
      std::erase(p.offline_replicas, broker);
      p.partition_epoch++;
      if (p.leader < 0) reelect(s, t, p, &out);
    }
  }
  return out;
}

}  // namespace rill::control
