#include "control/etcd/etcd_client.h"

#include <httplib.h>

#include <cctype>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string_view>

#include "base/config.h"
#include "base/log.h"

namespace rill::control::etcd {
namespace {

constexpr char k_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// etcd's gateway writes proto3 JSON: int64 values are strings, false
// booleans and zero numbers are left out, and streaming calls (keepalive)
// wrap their answer in "result". The first field named key, depth first
// (objects in key order, so a txn's header comes before its responses).
const nlohmann::json* find_key(const nlohmann::json& j, std::string_view key) {
  if (j.is_object()) {
    auto it = j.find(key);
    if (it != j.end()) return &*it;
    for (const auto& [k, v] : j.items()) {
      if (const nlohmann::json* found = find_key(v, key)) return found;
    }
  } else if (j.is_array()) {
    for (const nlohmann::json& v : j) {
      if (const nlohmann::json* found = find_key(v, key)) return found;
    }
  }
  return nullptr;
}

// An int64 field (a string, or a number); 0 when absent, as proto3 omits zeros.
int64_t int_field(const nlohmann::json& j, std::string_view key) {
  const nlohmann::json* v = find_key(j, key);
  if (v == nullptr) return 0;
  if (v->is_number_integer()) return v->get<int64_t>();
  int64_t n = 0;
  if (v->is_string()) parse_integer(v->get<std::string>(), &n, integer_suffixes::none);
  return n;
}

bool bool_field(const nlohmann::json& j, std::string_view key) {
  const nlohmann::json* v = find_key(j, key);
  return v != nullptr && v->is_boolean() && v->get<bool>();
}

std::optional<std::string> string_field(const nlohmann::json& j, std::string_view key) {
  const nlohmann::json* v = find_key(j, key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->get<std::string>();
}

// The body of a 200 answer as JSON, or nullopt (no answer, or not JSON).
std::optional<nlohmann::json> parsed(const std::optional<std::string>& body) {
  if (!body) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(*body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    RILL_WARN("etcd", "etcd answered with something that is not JSON (%zu bytes)", body->size());
    return std::nullopt;
  }
  return j;
}

// True once body holds one whole JSON document (checked only when it could
// have ended, so a large answer is not parsed once per piece).
bool whole_json(const std::string& body) {
  size_t end = body.find_last_not_of(" \r\n\t");
  return end != std::string::npos && (body[end] == '}' || body[end] == ']') &&
         nlohmann::json::accept(body);
}

}  // namespace

std::string etcd_client::base64_encode(const std::string& in) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) |
                 static_cast<uint8_t>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += k_alphabet[(n >> s) & 63];
  }
  if (i < in.size()) {
    uint32_t n = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<uint8_t>(in[i + 1]) << 8;
    out += k_alphabet[(n >> 18) & 63];
    out += k_alphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? k_alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> etcd_client::base64_decode(const std::string& in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  uint32_t n = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const char* p = std::strchr(k_alphabet, c);
    if (p == nullptr || c == '\0') return std::nullopt;
    n = (n << 6) | static_cast<uint32_t>(p - k_alphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((n >> bits) & 0xff);
    }
  }
  return out;
}

std::optional<std::string> etcd_client::post(const std::string& path, const std::string& body) {
  httplib::Client http(endpoint_.host, endpoint_.port);
  auto timeout = std::chrono::milliseconds(timeout_ms_);
  http.set_connection_timeout(timeout);
  http.set_read_timeout(timeout);
  http.set_write_timeout(timeout);
  httplib::Request request;
  request.method = "POST";
  request.path = path;
  request.body = body;
  request.set_header("Content-Type", "application/json");
  int status = 0;
  std::string payload;
  bool whole = false;
  request.response_handler = [&status](const httplib::Response& r) {
    status = r.status;
    return true;
  };
  // A streaming call (lease keepalive) answers one message and may keep its
  // stream open: reading stops at the first whole JSON document.
  request.content_receiver = [&payload, &whole](const char* data, size_t n, uint64_t, uint64_t) {
    payload.append(data, n);
    whole = whole_json(payload);
    return !whole;
  };
  httplib::Result r = http.send(request);
  if (!r && !(whole && r.error() == httplib::Error::Canceled)) {
    RILL_WARN("etcd", "%s:%u %s: %s", endpoint_.host.c_str(), endpoint_.port, path.c_str(),
              httplib::to_string(r.error()).c_str());
    return std::nullopt;
  }
  if (status != 200) {
    RILL_WARN("etcd", "%s:%u %s answered %d: %.120s", endpoint_.host.c_str(), endpoint_.port,
              path.c_str(), status, payload.c_str());
    return std::nullopt;
  }
  return payload;
}

std::optional<int64_t> etcd_client::grant_lease(int64_t ttl_s) {
  auto r = parsed(post("/v3/lease/grant", nlohmann::json{{"TTL", ttl_s}}.dump()));
  if (!r) return std::nullopt;
  int64_t id = int_field(*r, "ID");
  return id != 0 ? std::optional<int64_t>(id) : std::nullopt;
}

std::optional<int64_t> etcd_client::keep_alive(int64_t lease_id) {
  auto r =
      parsed(post("/v3/lease/keepalive", nlohmann::json{{"ID", std::to_string(lease_id)}}.dump()));
  if (!r) return std::nullopt;
  return int_field(*r, "TTL");  // absent (0): the lease expired
}

std::optional<campaign_result> etcd_client::campaign(const std::string& key,
                                                     const std::string& value, int64_t lease_id) {
  std::string k = base64_encode(key);
  nlohmann::json body = {
      {"compare", {{{"key", k}, {"target", "CREATE"}, {"create_revision", "0"}}}},
      {"success",
       {{{"request_put",
          {{"key", k}, {"value", base64_encode(value)}, {"lease", std::to_string(lease_id)}}}}}},
      {"failure", {{{"request_range", {{"key", k}}}}}}};
  auto r = parsed(post("/v3/kv/txn", body.dump()));
  if (!r) return std::nullopt;
  campaign_result out;
  out.won = bool_field(*r, "succeeded");
  if (out.won) {
    out.create_revision = int_field(*r, "revision");  // the txn's header revision
    out.holder = value;
  } else {
    out.create_revision = int_field(*r, "create_revision");
    out.holder = base64_decode(string_field(*r, "value").value_or("")).value_or("");
  }
  return out;
}

std::optional<std::optional<std::string>> etcd_client::get(const std::string& key) {
  auto r = parsed(post("/v3/kv/range", nlohmann::json{{"key", base64_encode(key)}}.dump()));
  if (!r) return std::nullopt;
  auto v = string_field(*r, "value");
  if (!v) return std::optional<std::string>();
  auto decoded = base64_decode(*v);
  if (!decoded) return std::nullopt;
  return std::optional<std::string>(std::move(decoded));
}

std::string etcd_client::prefix_end(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty() && static_cast<uint8_t>(end.back()) == 0xff) end.pop_back();
  if (end.empty()) return std::string(1, '\0');  // etcd: every key from prefix on
  end.back() = static_cast<char>(static_cast<uint8_t>(end.back()) + 1);
  return end;
}

std::optional<std::vector<etcd_key_value>> etcd_client::get_prefix(const std::string& prefix) {
  nlohmann::json body = {{"key", base64_encode(prefix)},
                         {"range_end", base64_encode(prefix_end(prefix))}};
  auto r = parsed(post("/v3/kv/range", body.dump()));
  if (!r) return std::nullopt;
  std::vector<etcd_key_value> out;
  auto kvs = r->find("kvs");
  if (kvs == r->end()) return out;  // proto3 leaves an empty list out
  if (!kvs->is_array()) return std::nullopt;
  for (const nlohmann::json& kv : *kvs) {
    auto key = base64_decode(kv.value("key", ""));
    auto value = base64_decode(kv.value("value", ""));
    if (!key || !value) return std::nullopt;
    out.push_back({std::move(*key), std::move(*value)});
  }
  return out;
}

guarded_put_result etcd_client::guarded_write(const std::string& leader_key,
                                              const std::string& leader_value,
                                              int64_t leader_revision,
                                              const std::vector<etcd_write>& writes) {
  std::string lk = base64_encode(leader_key);
  nlohmann::json success = nlohmann::json::array();
  for (const etcd_write& w : writes) {
    if (w.erase) {
      success.push_back(
          {{"request_delete_range",
            {{"key", base64_encode(w.key)}, {"range_end", base64_encode(w.range_end)}}}});
    } else {
      success.push_back(
          {{"request_put", {{"key", base64_encode(w.key)}, {"value", base64_encode(w.value)}}}});
    }
  }
  nlohmann::json body = {
      {"compare",
       {{{"key", lk}, {"target", "VALUE"}, {"value", base64_encode(leader_value)}},
        {{"key", lk}, {"target", "CREATE"}, {"create_revision", std::to_string(leader_revision)}}}},
      {"success", success}};
  auto r = parsed(post("/v3/kv/txn", body.dump()));
  if (!r) return guarded_put_result::unreachable;
  return bool_field(*r, "succeeded") ? guarded_put_result::ok : guarded_put_result::not_leader;
}

}  // namespace rill::control::etcd
