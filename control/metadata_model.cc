#include "control/metadata_model.h"

#include <cstdio>
#include <random>
#include <sstream>

#include "base/assert.h"

namespace rill::control {
namespace {

constexpr const char* k_format_header = "rill-metadata 1";

std::string join_ints(const std::vector<int32_t>& v) {
  if (v.empty()) return "-";
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + std::to_string(v[i]);
  return out;
}

bool parse_ints(const std::string& s, std::vector<int32_t>* out) {
  out->clear();
  if (s == "-") return true;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, ',')) {
    try {
      out->push_back(std::stoi(part));
    } catch (...) {
      return false;
    }
  }
  return true;
}

bool parse_hex_id(const std::string& hex, std::array<uint8_t, 16>* id) {
  if (hex.size() != 32) return false;
  for (size_t i = 0; i < 16; ++i) {
    unsigned v = 0;
    if (sscanf(hex.c_str() + 2 * i, "%2x", &v) != 1) return false;
    (*id)[i] = static_cast<uint8_t>(v);
  }
  return true;
}

}  // namespace

const partition_info* cluster_snapshot::find_partition(const std::string& topic,
                                                       int32_t index) const {
  const topic_info* t = find_topic(topic);
  if (t == nullptr || index < 0 || index >= static_cast<int32_t>(t->partitions.size()))
    return nullptr;
  return &t->partitions[static_cast<size_t>(index)];
}

std::string topic_id_hex(const std::array<uint8_t, 16>& id) {
  char buf[33];
  for (size_t i = 0; i < 16; ++i) snprintf(buf + 2 * i, 3, "%02x", id[i]);
  return std::string(buf, 32);
}

std::array<uint8_t, 16> random_topic_id() {
  std::random_device rd;
  std::array<uint8_t, 16> id{};
  for (auto& b : id) b = static_cast<uint8_t>(rd());
  return id;
}

namespace {

constexpr const char* k_delta_header = "rill-metadata-delta 1";

void write_broker(std::ostream& out, const broker_info& b) {
  out << "broker " << b.id << " " << b.host << " " << b.port << " " << b.rack.value_or("-")
      << (b.alive ? "" : " fenced") << "\n";
}

void write_topic(std::ostream& out, const topic_info& t) {
  out << "topic " << t.name << " " << topic_id_hex(t.id) << " " << t.partitions.size() << "\n";
}

void write_configs(std::ostream& out, const topic_info& t) {
  for (const auto& [k, v] : t.configs) out << "config " << t.name << " " << k << " " << v << "\n";
}

void write_partition(std::ostream& out, const std::string& topic, const partition_info& p) {
  out << "partition " << topic << " " << p.index << " " << p.leader << " " << p.leader_epoch << " "
      << p.partition_epoch << " " << join_ints(p.replicas) << " " << join_ints(p.isr);
  if (!p.offline_replicas.empty()) out << " " << join_ints(p.offline_replicas);
  out << "\n";
  if (p.reassigning()) {
    out << "reassign " << topic << " " << p.index << " " << join_ints(p.adding_replicas) << " "
        << join_ints(p.removing_replicas) << "\n";
  }
}

// Snapshots build a cluster from nothing; deltas change one in place, where
// a topic line may also resize a topic that exists.
enum class text_kind : uint8_t { snapshot, delta };

partition_info* find_mutable_partition(cluster_snapshot& s, const std::string& topic,
                                       int32_t index) {
  auto it = s.topics.find(topic);
  if (it == s.topics.end() || index < 0 ||
      index >= static_cast<int32_t>(it->second.partitions.size())) {
    return nullptr;
  }
  return &it->second.partitions[static_cast<size_t>(index)];
}

bool apply_broker_line(std::istringstream& f, cluster_snapshot& s) {
  broker_info b;
  std::string rack;
  f >> b.id >> b.host >> b.port >> rack;
  if (f.fail()) return false;
  if (rack != "-") b.rack = rack;
  std::string state;  // optional: "fenced"; absent while the broker is alive
  if (f >> state) {
    if (state != "fenced") return false;
    b.alive = false;
  } else {
    f.clear();
  }
  s.brokers[b.id] = b;
  return true;
}

bool apply_topic_line(std::istringstream& f, text_kind kind, cluster_snapshot& s) {
  topic_info t;
  std::string hex;
  size_t count = 0;
  f >> t.name >> hex >> count;
  if (f.fail() || !parse_hex_id(hex, &t.id) || count > 100000) return false;
  auto it = s.topics.find(t.name);
  if (kind == text_kind::delta && it != s.topics.end() && it->second.id == t.id) {
    it->second.partitions.resize(count);  // the same topic, grown
    return true;
  }
  t.partitions.resize(count);
  s.topics[t.name] = std::move(t);
  return true;
}

bool apply_partition_line(std::istringstream& f, cluster_snapshot& s) {
  std::string topic, replicas, isr;
  partition_info p;
  f >> topic >> p.index >> p.leader >> p.leader_epoch >> p.partition_epoch >> replicas >> isr;
  if (f.fail()) return false;
  std::string offline;  // optional: absent when no replica is offline
  if (f >> offline) {
    if (!parse_ints(offline, &p.offline_replicas)) return false;
  } else {
    f.clear();  // end of line: none offline
  }
  partition_info* slot = find_mutable_partition(s, topic, p.index);
  if (slot == nullptr || !parse_ints(replicas, &p.replicas) || !parse_ints(isr, &p.isr)) {
    return false;
  }
  *slot = std::move(p);
  return true;
}

bool apply_reassign_line(std::istringstream& f, cluster_snapshot& s) {
  std::string topic, adding, removing;
  int32_t index = -1;
  f >> topic >> index >> adding >> removing;
  partition_info* p = f.fail() ? nullptr : find_mutable_partition(s, topic, index);
  return p != nullptr && parse_ints(adding, &p->adding_replicas) &&
         parse_ints(removing, &p->removing_replicas);
}

// Lines only deltas carry: what went away, and a topic's configs reset
// before its config lines.
bool apply_removal_line(const std::string& kind, std::istringstream& f, cluster_snapshot& s) {
  if (kind == "broker-removed") {
    int32_t id = -1;
    f >> id;
    return !f.fail() && s.brokers.erase(id) == 1;
  }
  std::string topic;
  f >> topic;
  auto it = f.fail() ? s.topics.end() : s.topics.find(topic);
  if (it == s.topics.end()) return false;
  if (kind == "topic-removed") {
    s.topics.erase(it);
  } else {
    it->second.configs.clear();
  }
  return true;
}

bool apply_line(const std::string& line, text_kind kind, cluster_snapshot& s) {
  std::istringstream f(line);
  std::string kind_word;
  f >> kind_word;
  bool ok = true;
  if (kind_word == "epoch") {
    int64_t epoch = -1;
    f >> epoch;
    ok = kind == text_kind::snapshot || epoch == s.epoch + 1;
    s.epoch = epoch;
  } else if (kind_word == "producer-ids") {
    f >> s.next_producer_id;
    ok = s.next_producer_id >= 0;
  } else if (kind_word == "cluster") {
    f >> s.cluster_id;
  } else if (kind_word == "broker") {
    ok = apply_broker_line(f, s);
  } else if (kind_word == "topic") {
    ok = apply_topic_line(f, kind, s);
  } else if (kind_word == "config") {
    std::string topic, key, value;
    f >> topic >> key >> value;
    auto it = s.topics.find(topic);
    ok = it != s.topics.end();
    if (ok) it->second.configs[key] = value;
  } else if (kind_word == "partition") {
    ok = apply_partition_line(f, s);
  } else if (kind_word == "reassign") {
    ok = apply_reassign_line(f, s);
  } else if (kind == text_kind::delta &&
             (kind_word == "broker-removed" || kind_word == "topic-removed" ||
              kind_word == "configs-cleared")) {
    ok = apply_removal_line(kind_word, f, s);
  } else {
    ok = kind_word.empty();
  }
  return ok && !f.fail();
}

}  // namespace

std::string serialize_snapshot(const cluster_snapshot& s) {
  std::ostringstream out;
  out << k_format_header << "\n";
  out << "epoch " << s.epoch << "\n";
  if (s.next_producer_id > 0) out << "producer-ids " << s.next_producer_id << "\n";
  out << "cluster " << s.cluster_id << "\n";
  for (const auto& [id, b] : s.brokers) write_broker(out, b);
  for (const auto& [name, t] : s.topics) {
    write_topic(out, t);
    write_configs(out, t);
    for (const partition_info& p : t.partitions) write_partition(out, name, p);
  }
  return out.str();
}

int64_t take_producer_id_block(cluster_snapshot& s) {
  int64_t first = s.next_producer_id;
  s.next_producer_id += k_producer_id_block;
  RILL_ASSERT(s.next_producer_id > first, "producer ids exhausted");
  return first;
}

bool parse_snapshot(const std::string& text, cluster_snapshot* out) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != k_format_header) return false;
  cluster_snapshot s;
  while (std::getline(in, line)) {
    if (!apply_line(line, text_kind::snapshot, s)) return false;
  }
  *out = std::move(s);
  return true;
}

std::string serialize_delta(const cluster_snapshot& before, const cluster_snapshot& after) {
  RILL_ASSERT(after.epoch == before.epoch + 1, "a delta from epoch %lld to %lld",
              static_cast<long long>(before.epoch), static_cast<long long>(after.epoch));
  std::ostringstream out;
  out << k_delta_header << "\n";
  out << "epoch " << after.epoch << "\n";
  if (after.next_producer_id != before.next_producer_id)
    out << "producer-ids " << after.next_producer_id << "\n";
  if (after.cluster_id != before.cluster_id) out << "cluster " << after.cluster_id << "\n";
  for (const auto& [id, b] : before.brokers) {
    if (after.brokers.count(id) == 0) out << "broker-removed " << id << "\n";
  }
  for (const auto& [id, b] : after.brokers) {
    auto old = before.brokers.find(id);
    if (old == before.brokers.end() || !(old->second == b)) write_broker(out, b);
  }
  for (const auto& [name, t] : before.topics) {
    if (after.topics.count(name) == 0) out << "topic-removed " << name << "\n";
  }
  for (const auto& [name, t] : after.topics) {
    auto old_it = before.topics.find(name);
    const topic_info* old =
        old_it == before.topics.end() || old_it->second.id != t.id ? nullptr : &old_it->second;
    if (old == nullptr || old->partitions.size() != t.partitions.size()) write_topic(out, t);
    if (old != nullptr && old->configs != t.configs) {
      out << "configs-cleared " << name << "\n";
      write_configs(out, t);
    } else if (old == nullptr) {
      write_configs(out, t);
    }
    for (size_t i = 0; i < t.partitions.size(); ++i) {
      if (old == nullptr || i >= old->partitions.size() || !(old->partitions[i] == t.partitions[i]))
        write_partition(out, name, t.partitions[i]);
    }
  }
  return out.str();
}

int64_t delta_epoch(const std::string& text) {
  std::istringstream in(text);
  std::string header, word;
  int64_t epoch = -1;
  if (!std::getline(in, header) || header != k_delta_header) return -1;
  in >> word >> epoch;
  return !in.fail() && word == "epoch" ? epoch : -1;
}

bool apply_delta(const std::string& text, cluster_snapshot* s) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != k_delta_header) return false;
  int64_t base = s->epoch;
  while (std::getline(in, line)) {
    if (!apply_line(line, text_kind::delta, *s)) return false;
  }
  return s->epoch == base + 1;
}

}  // namespace rill::control
