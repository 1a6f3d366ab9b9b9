// etcd_client: the few etcd v3 calls the controller needs, over etcd's
// JSON gateway (HTTP/1.1 POST to /v3/..., keys and values base64): lease
// grant and keep-alive, a campaign for a key held by a lease, a get, a
// read of every key under a prefix, and writes guarded by "the leader key
// is still mine".
//
// Calls block (loopback or LAN round trips of a few milliseconds; the
// controller writes rarely) and time out after timeout_ms. One connection
// per call. Each returns nullopt when etcd could not be reached or answered
// something unexpected; the reason is logged.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/host_port.h"

namespace rill::control::etcd {

// etcd's client address ("host:port", parsed with parse_host_port).
using endpoint = host_port;

struct campaign_result {
  bool won = false;
  int64_t create_revision = 0;  // of the leader key (ours when won)
  std::string holder;           // the leader key's value
};

enum class guarded_put_result { ok, not_leader, unreachable };

// One write in a guarded transaction: a put of key = value, or (erase) a
// delete of the keys in [key, range_end).
struct etcd_write {
  std::string key;
  std::string value;
  bool erase = false;
  std::string range_end;
};

struct etcd_key_value {
  std::string key;
  std::string value;
};

class etcd_client {
 public:
  const endpoint& where() const { return endpoint_; }

  explicit etcd_client(endpoint e, int timeout_ms = 2000)
      : endpoint_(std::move(e)), timeout_ms_(timeout_ms) {}

  std::optional<int64_t> grant_lease(int64_t ttl_s);
  // The remaining TTL in seconds (<= 0: the lease is gone).
  std::optional<int64_t> keep_alive(int64_t lease_id);
  // Creates key = value attached to the lease unless the key exists.
  std::optional<campaign_result> campaign(const std::string& key, const std::string& value,
                                          int64_t lease_id);
  // The value of key; nullopt inside: no such key.
  std::optional<std::optional<std::string>> get(const std::string& key);
  // Every key starting with prefix, in key order.
  std::optional<std::vector<etcd_key_value>> get_prefix(const std::string& prefix);
  // Applies writes in one transaction, only while leader_key still has
  // leader_value and the create revision won in the campaign.
  guarded_put_result guarded_write(const std::string& leader_key, const std::string& leader_value,
                                   int64_t leader_revision, const std::vector<etcd_write>& writes);
  // The end of the key range holding every key that starts with prefix.
  static std::string prefix_end(const std::string& prefix);

  // Exposed for tests.
  static std::string base64_encode(const std::string& in);
  static std::optional<std::string> base64_decode(const std::string& in);

 private:
  std::optional<std::string> post(const std::string& path, const std::string& body);

  endpoint endpoint_;
  int timeout_ms_;
};

}  // namespace rill::control::etcd
