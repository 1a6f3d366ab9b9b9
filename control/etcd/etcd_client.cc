#include "control/etcd/etcd_client.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "base/log.h"

namespace rill::control::etcd {
namespace {

constexpr char k_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The value of the first "key": field at or after from: the text inside the
// quotes for a string, else the literal up to the next , } or ]. etcd's
// gateway writes proto3 JSON: int64 values are strings, false booleans and
// zero numbers are left out.
std::optional<std::string> json_field(const std::string& json, const std::string& key,
                                      size_t from = 0) {
  std::string needle = "\"" + key + "\":";
  size_t at = json.find(needle, from);
  if (at == std::string::npos) return std::nullopt;
  at += needle.size();
  if (at < json.size() && json[at] == '"') {
    size_t end = json.find('"', at + 1);
    if (end == std::string::npos) return std::nullopt;
    return json.substr(at + 1, end - at - 1);
  }
  size_t end = json.find_first_of(",}]", at);
  return json.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

int64_t json_int(const std::string& json, const std::string& key, size_t from = 0) {
  auto v = json_field(json, key, from);
  return v ? std::strtoll(v->c_str(), nullptr, 10) : 0;
}

class fd_guard {
 public:
  explicit fd_guard(int fd) : fd_(fd) {}
  ~fd_guard() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

bool wait_ready(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, static_cast<int>(left.count())) == 1;
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
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::string port = std::to_string(endpoint_.port);
  if (::getaddrinfo(endpoint_.host.c_str(), port.c_str(), &hints, &found) != 0 || !found) {
    RILL_WARN("etcd", "cannot resolve %s", endpoint_.host.c_str());
    return std::nullopt;
  }
  fd_guard fd(::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  int rc = fd.get() < 0 ? -1 : ::connect(fd.get(), found->ai_addr, found->ai_addrlen);
  ::freeaddrinfo(found);
  if (fd.get() < 0 || (rc != 0 && errno != EINPROGRESS) ||
      !wait_ready(fd.get(), POLLOUT, deadline)) {
    return std::nullopt;
  }
  int err = 0;
  socklen_t len = sizeof(err);
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
    return std::nullopt;
  std::string request =
      "POST " + path + " HTTP/1.1\r\nHost: " + endpoint_.host +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nConnection: close\r\n\r\n" + body;
  for (size_t sent = 0; sent < request.size();) {
    if (!wait_ready(fd.get(), POLLOUT, deadline)) return std::nullopt;
    ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN) return std::nullopt;
    if (n > 0) sent += static_cast<size_t>(n);
  }
  std::string response;
  char buf[16384];
  for (;;) {
    size_t header_end = response.find("\r\n\r\n");
    if (header_end != std::string::npos) {
      auto length = response.find("Content-Length: ");
      if (length != std::string::npos && length < header_end) {
        size_t want = header_end + 4 + std::strtoull(response.c_str() + length + 16, nullptr, 10);
        if (response.size() >= want) break;
      }
    }
    if (!wait_ready(fd.get(), POLLIN, deadline)) return std::nullopt;
    ssize_t n = ::recv(fd.get(), buf, sizeof(buf), 0);
    if (n < 0 && errno == EAGAIN) continue;
    if (n <= 0) break;
    response.append(buf, static_cast<size_t>(n));
  }
  size_t header_end = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.1 200", 0) != 0 || header_end == std::string::npos) {
    RILL_WARN("etcd", "%s:%u %s answered: %.120s", endpoint_.host.c_str(), endpoint_.port,
              path.c_str(), response.c_str());
    return std::nullopt;
  }
  return response.substr(header_end + 4);
}

std::optional<int64_t> etcd_client::grant_lease(int64_t ttl_s) {
  auto r = post("/v3/lease/grant", "{\"TTL\":" + std::to_string(ttl_s) + "}");
  if (!r) return std::nullopt;
  int64_t id = json_int(*r, "ID");
  return id != 0 ? std::optional<int64_t>(id) : std::nullopt;
}

std::optional<int64_t> etcd_client::keep_alive(int64_t lease_id) {
  auto r = post("/v3/lease/keepalive", "{\"ID\":\"" + std::to_string(lease_id) + "\"}");
  if (!r) return std::nullopt;
  return json_int(*r, "TTL");  // absent (0): the lease expired
}

std::optional<campaign_result> etcd_client::campaign(const std::string& key,
                                                     const std::string& value, int64_t lease_id) {
  std::string k = base64_encode(key);
  std::string body = "{\"compare\":[{\"key\":\"" + k +
                     "\",\"target\":\"CREATE\",\"create_revision\":\"0\"}],"
                     "\"success\":[{\"request_put\":{\"key\":\"" +
                     k + "\",\"value\":\"" + base64_encode(value) + "\",\"lease\":\"" +
                     std::to_string(lease_id) +
                     "\"}}],"
                     "\"failure\":[{\"request_range\":{\"key\":\"" +
                     k + "\"}}]}";
  auto r = post("/v3/kv/txn", body);
  if (!r) return std::nullopt;
  campaign_result out;
  out.won = json_field(*r, "succeeded").value_or("false") == "true";
  if (out.won) {
    out.create_revision = json_int(*r, "revision");  // the txn's header revision
    out.holder = value;
  } else {
    out.create_revision = json_int(*r, "create_revision");
    out.holder = base64_decode(json_field(*r, "value").value_or("")).value_or("");
  }
  return out;
}

std::optional<std::optional<std::string>> etcd_client::get(const std::string& key) {
  auto r = post("/v3/kv/range", "{\"key\":\"" + base64_encode(key) + "\"}");
  if (!r) return std::nullopt;
  auto v = json_field(*r, "value");
  if (!v) return std::optional<std::string>();
  auto decoded = base64_decode(*v);
  if (!decoded) return std::nullopt;
  return std::optional<std::string>(std::move(decoded));
}

guarded_put_result etcd_client::guarded_put(const std::string& leader_key,
                                            const std::string& leader_value,
                                            int64_t leader_revision, const std::string& key,
                                            const std::string& value) {
  std::string lk = base64_encode(leader_key);
  std::string body = "{\"compare\":[{\"key\":\"" + lk + "\",\"target\":\"VALUE\",\"value\":\"" +
                     base64_encode(leader_value) + "\"},{\"key\":\"" + lk +
                     "\",\"target\":\"CREATE\",\"create_revision\":\"" +
                     std::to_string(leader_revision) +
                     "\"}],\"success\":[{\"request_put\":{\"key\":\"" + base64_encode(key) +
                     "\",\"value\":\"" + base64_encode(value) + "\"}}]}";
  auto r = post("/v3/kv/txn", body);
  if (!r) return guarded_put_result::unreachable;
  return json_field(*r, "succeeded").value_or("false") == "true" ? guarded_put_result::ok
                                                                 : guarded_put_result::not_leader;
}

}  // namespace rill::control::etcd
