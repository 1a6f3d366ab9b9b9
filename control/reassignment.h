// Partition reassignment (KIP-455) as pure rules on a metadata snapshot:
// move a partition to other brokers, change its replication factor, or
// cancel. Used by the controller (and a standalone broker's own store);
// the brokers carry it out by following the replica list: a new replica
// opens its log and fetches, the leader proposes it for the ISR once it is
// caught up, and a replica no longer listed closes and deletes its log.
//
// Invariants:
//   - while reassigning, replicas = target ++ (original - target), adding =
//     target - original, removing = original - target;
//   - the reassignment completes in the same metadata change that puts the
//     last target replica into the ISR: replicas = target, ISR = ISR ∩
//     target, and if the leader leaves, a clean election among the target
//     replicas in the ISR picks the next one;
//   - nothing acknowledged is lost: the ISR only ever shrinks to target
//     replicas that are in it, so every acknowledged record is on the new
//     leader.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "control/election.h"
#include "control/metadata_model.h"

namespace rill::control {

enum class reassign_errc : uint8_t {
  ok = 0,
  unknown_partition,
  invalid_assignment,  // empty, duplicated or unknown brokers
  no_reassignment,     // a cancel with nothing in progress
};
const char* reassign_errc_name(reassign_errc e);

// One partition's reassignment to start (a target) or cancel (none).
struct partition_reassignment {
  std::string topic;
  int32_t index = 0;
  std::optional<std::vector<int32_t>> target;
};

// Applies each in turn (reassign_partition); one outcome per move, in order.
std::vector<reassign_errc> reassign_partitions(cluster_snapshot& s,
                                               const std::vector<partition_reassignment>& moves,
                                               std::vector<leader_change>* changes);

// Starts (or redirects) the reassignment of one partition to target;
// nullopt cancels the one in progress. Leadership changes go to changes.
reassign_errc reassign_partition(cluster_snapshot& s, const std::string& topic, int32_t partition,
                                 const std::optional<std::vector<int32_t>>& target,
                                 std::vector<leader_change>* changes);

// Completes the partition's reassignment if every target replica is in
// its ISR. Returns whether it did.
bool complete_reassignment(cluster_snapshot& s, const std::string& topic, int32_t partition,
                           std::vector<leader_change>* changes);

}  // namespace rill::control
