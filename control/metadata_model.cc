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

std::string serialize_snapshot(const cluster_snapshot& s) {
  std::ostringstream out;
  out << k_format_header << "\n";
  out << "epoch " << s.epoch << "\n";
  if (s.next_producer_id > 0) out << "producer-ids " << s.next_producer_id << "\n";
  out << "cluster " << s.cluster_id << "\n";
  for (const auto& [id, b] : s.brokers) {
    out << "broker " << id << " " << b.host << " " << b.port << " " << b.rack.value_or("-")
        << (b.alive ? "" : " fenced") << "\n";
  }
  for (const auto& [name, t] : s.topics) {
    out << "topic " << name << " " << topic_id_hex(t.id) << " " << t.partitions.size() << "\n";
    for (const auto& [k, v] : t.configs) out << "config " << name << " " << k << " " << v << "\n";
    for (const partition_info& p : t.partitions) {
      out << "partition " << name << " " << p.index << " " << p.leader << " " << p.leader_epoch
          << " " << p.partition_epoch << " " << join_ints(p.replicas) << " " << join_ints(p.isr);
      if (!p.offline_replicas.empty()) out << " " << join_ints(p.offline_replicas);
      out << "\n";
      if (p.reassigning()) {
        out << "reassign " << name << " " << p.index << " " << join_ints(p.adding_replicas) << " "
            << join_ints(p.removing_replicas) << "\n";
      }
    }
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
    std::istringstream f(line);
    std::string kind;
    f >> kind;
    if (kind == "epoch") {
      f >> s.epoch;
    } else if (kind == "producer-ids") {
      f >> s.next_producer_id;
      if (s.next_producer_id < 0) return false;
    } else if (kind == "cluster") {
      f >> s.cluster_id;
    } else if (kind == "broker") {
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
    } else if (kind == "topic") {
      topic_info t;
      std::string hex;
      size_t count = 0;
      f >> t.name >> hex >> count;
      if (!parse_hex_id(hex, &t.id) || count > 100000) return false;
      t.partitions.resize(count);
      s.topics[t.name] = std::move(t);
    } else if (kind == "config") {
      std::string topic, key, value;
      f >> topic >> key >> value;
      auto it = s.topics.find(topic);
      if (it == s.topics.end()) return false;
      it->second.configs[key] = value;
    } else if (kind == "partition") {
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
      auto it = s.topics.find(topic);
      if (it == s.topics.end() || p.index < 0 ||
          p.index >= static_cast<int32_t>(it->second.partitions.size()) ||
          !parse_ints(replicas, &p.replicas) || !parse_ints(isr, &p.isr)) {
        return false;
      }
      it->second.partitions[static_cast<size_t>(p.index)] = p;
    } else if (kind == "reassign") {
      std::string topic, adding, removing;
      int32_t index = -1;
      f >> topic >> index >> adding >> removing;
      auto it = s.topics.find(topic);
      if (f.fail() || it == s.topics.end() || index < 0 ||
          index >= static_cast<int32_t>(it->second.partitions.size())) {
        return false;
      }
      partition_info& p = it->second.partitions[static_cast<size_t>(index)];
      if (!parse_ints(adding, &p.adding_replicas) || !parse_ints(removing, &p.removing_replicas)) {
        return false;
      }
    } else if (!kind.empty()) {
      return false;
    }
    if (f.fail()) return false;
  }
  *out = std::move(s);
  return true;
}

}  // namespace rill::control
