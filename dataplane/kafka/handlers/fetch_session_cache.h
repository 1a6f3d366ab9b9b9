// Incremental fetch sessions (KIP-227): a consumer or follower fetching
// many partitions names them once; later requests carry only what changed
// (a new position, a partition added or forgotten), and the answers carry
// only partitions with news (records, a moved high watermark, log start or
// last stable offset, an error). Each shard keeps its own cache: a
// connection stays on one shard, and a client whose next connection lands
// elsewhere gets FETCH_SESSION_ID_NOT_FOUND and starts a new session, as
// the protocol provides.
//
// Pure logic: no I/O and no clock (the caller passes the time), so the
// protocol's cases are tested directly (fetch_session_cache_test.cc).
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "dataplane/kafka/messages/fetch.h"
#include "dataplane/kafka/protocol.h"

namespace rill::kafka {

// What one Fetch request means once its session fields are applied.
struct fetch_session_plan {
  error_code error = error_code::none;      // a session error answers the whole request
  int32_t session_id = k_no_fetch_session;  // what the response carries
  bool incremental = false;
};

class fetch_session_cache {
 public:
  // slots: sessions kept at most (0: none). A session idle for at least
  // eviction_idle_ns may be evicted to make room for a new one.
  fetch_session_cache(size_t slots, uint64_t eviction_idle_ns, uint64_t seed);

  // Applies the request's session id, epoch, partitions and forgotten
  // topics (version: the Fetch version; sessions start at v7). Afterwards
  // req.topics is what to read, in the order to answer: an incremental
  // request's become the whole session's; a full request's stay as they are
  // (nothing is copied on the sessionless path followers take).
  fetch_session_plan begin(fetch_request& req, int16_t version, uint64_t now_ns);
  // Takes in what the response says of each partition: a session remembers
  // the offsets it sent, and an incremental response keeps only partitions
  // with news. Partitions that returned records move to the end of the
  // session's order, so that under max_bytes every partition gets its turn.
  void finish(const fetch_session_plan& plan, fetch_response& response);

  size_t size() const { return sessions_.size(); }
  size_t partitions_in(int32_t session_id) const;

 private:
  struct cached_partition {
    std::string topic;
    fetch_partition request;
    int64_t high_watermark = -1;  // as last sent
    int64_t last_stable_offset = -1;
    int64_t log_start_offset = -1;
  };
  using partition_key = std::pair<std::string, int32_t>;
  struct session {
    int32_t next_epoch = 1;
    uint64_t last_used_ns = 0;
    std::list<cached_partition> order;
    std::map<partition_key, std::list<cached_partition>::iterator> index;
  };

  // A new session holding req's partitions; 0 when no slot is free.
  int32_t open(const fetch_request& req, uint64_t now_ns);
  static void apply(session& s, const fetch_request& req);
  static std::vector<fetch_topic> partitions_of(const session& s);
  int32_t fresh_id();

  size_t slots_;
  uint64_t eviction_idle_ns_;
  std::mt19937 random_;
  std::unordered_map<int32_t, session> sessions_;
};

// The epoch after epoch: it wraps from INT32_MAX to 1 (0 opens a session).
int32_t next_session_epoch(int32_t epoch);

}  // namespace rill::kafka
