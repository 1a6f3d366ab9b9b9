// rill-bench: the end-to-end load generator, on librdkafka (the client
// production users run).
//
//   rill-bench produce|consume|e2e --bootstrap=HOST:PORT --topic=T [options]
//
// produce: N producer threads send records (fixed rate or unthrottled) and
//          measure send-to-acknowledgement latency per record;
// consume: reads from the earliest offset and reports throughput;
// e2e:     produces and consumes at once; each record carries its send time
//          and the consumer reports producer-to-consumer latency.
// --warmup-s=S runs S seconds before measuring; records sent meanwhile are
// not counted. At a fixed rate a producer sleeps --pace-us=U (50) between
// checks for records due: each record is sent (and its latency measured)
// at most about U late; a longer pace means fewer wake-ups of the load
// generator and burstier arrivals. Live progress every second on stderr
// (records/s and that second's latency); the summary (records/s, MB/s,
// p50/p90/p99/p99.9/p99.99/max) on stdout, as JSON with --json.
#include <librdkafka/rdkafka.h>

#include <optional>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "base/command_line.h"
#include "bench/latency_histogram.h"

namespace {

using clock_type = std::chrono::steady_clock;
using rill::bench::latency_histogram;

struct options {
  std::string mode = "produce";
  std::string bootstrap = "127.0.0.1:9092";
  std::string topic = "rill-bench";
  int partitions = 1;
  int replication_factor = 1;
  size_t record_bytes = 1024;
  double rate = 0;  // records per second over all producers; 0: unthrottled
  std::string acks = "1";
  int linger_ms = 1;
  int batch_bytes = 16384;
  int producers = 1;
  double duration_s = 10;
  double warmup_s = 0;        // sent before this much time passed: not measured
  int pace_us = 50;           // fixed rate: sleep between checks for records due
  std::string keys = "none";  // none | random | sequential
  std::string compression = "none";
  bool idempotent = false;
  bool json = false;
  std::string label;
};

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch())
      .count();
}

int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Reads the command line into o; the exit code when the program should not run.
std::optional<int> parse(int argc, char** argv, options* o) {
  CLI::App app("rill-bench: the end-to-end load generator (librdkafka).", "rill-bench");
  app.add_option("mode", o->mode, "produce, consume or e2e (producer-to-consumer latency)")
      ->required()
      ->check(CLI::IsMember({"produce", "consume", "e2e"}));
  app.add_option("--bootstrap,--bootstrap-server", o->bootstrap, "a broker, HOST:PORT")
      ->capture_default_str();
  app.add_option("--topic", o->topic, "topic (created when missing)")->capture_default_str();
  app.add_option("--partitions", o->partitions, "partitions")
      ->transform(rill::integer_in(1, 1 << 20))
      ->capture_default_str();
  app.add_option("--replication-factor", o->replication_factor, "replicas, for a new topic")
      ->transform(rill::integer_in(1, 64))
      ->capture_default_str();
  app.add_option("--record-bytes", o->record_bytes, "value size")
      ->transform(rill::integer_in(1, int64_t{64} << 20))
      ->capture_default_str();
  app.add_option("--rate", o->rate, "records/s over all producers (0: unthrottled)")
      ->check(rill::number_in(0))
      ->capture_default_str();
  app.add_option("--acks", o->acks, "0, 1 or all")
      ->check(CLI::IsMember({"0", "1", "-1", "all"}))
      ->capture_default_str();
  app.add_option("--linger-ms", o->linger_ms, "producer linger.ms")
      ->transform(rill::integer_in(0, 900000))
      ->capture_default_str();
  app.add_option("--batch-bytes", o->batch_bytes, "producer batch.size")
      ->transform(rill::integer_in(1, 1 << 30))
      ->capture_default_str();
  app.add_option("--producers", o->producers, "producer threads")
      ->transform(rill::integer_in(1, 1024))
      ->capture_default_str();
  app.add_option("--duration-s", o->duration_s, "measured seconds")
      ->check(rill::number_in(0.001))
      ->capture_default_str();
  app.add_option("--warmup-s", o->warmup_s, "seconds before measuring")
      ->check(rill::number_in(0))
      ->capture_default_str();
  app.add_option("--pace-us", o->pace_us, "fixed rate: sleep between checks for records due")
      ->transform(rill::integer_in(0, 1000000))
      ->capture_default_str();
  app.add_option("--keys", o->keys, "record keys")
      ->check(CLI::IsMember({"none", "random", "sequential"}))
      ->capture_default_str();
  app.add_option("--compression", o->compression, "producer compression.type")
      ->check(CLI::IsMember({"none", "gzip", "snappy", "lz4", "zstd"}))
      ->capture_default_str();
  app.add_flag("--idempotent", o->idempotent, "enable.idempotence");
  app.add_flag("--json", o->json, "the summary as JSON");
  app.add_option("--label", o->label, "a name for the summary");
  return rill::parse_command_line(app, argc, argv);
}

rd_kafka_conf_t* base_conf(const options& o) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[256];
  rd_kafka_conf_set(conf, "bootstrap.servers", o.bootstrap.c_str(), err, sizeof(err));
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
  return conf;
}

void set(rd_kafka_conf_t* conf, const char* k, const std::string& v) {
  char err[256];
  if (rd_kafka_conf_set(conf, k, v.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "rill-bench: %s=%s: %s\n", k, v.c_str(), err);
    exit(2);
  }
}

// Creates the topic with the requested layout (an existing one is kept).
void ensure_topic(const options& o) {
  rd_kafka_conf_t* conf = base_conf(o);
  char err[256];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  rd_kafka_NewTopic_t* nt =
      rd_kafka_NewTopic_new(o.topic.c_str(), o.partitions, o.replication_factor, err, sizeof(err));
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 15000);
  if (ev != nullptr) {
    const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev);
    size_t n = 0;
    const rd_kafka_topic_result_t** topics = rd_kafka_CreateTopics_result_topics(res, &n);
    for (size_t i = 0; i < n; ++i) {
      rd_kafka_resp_err_t e = rd_kafka_topic_result_error(topics[i]);
      if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        fprintf(stderr, "rill-bench: creating %s: %s\n", o.topic.c_str(), rd_kafka_err2str(e));
      }
    }
    rd_kafka_event_destroy(ev);
  }
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy(nt);
  rd_kafka_destroy(rk);
}

struct shared_stats {
  // Records sent (produce) or stamped (e2e) before this instant belong to
  // the warm-up and are not counted.
  std::atomic<int64_t> measure_from_ns{0};
  std::mutex mutex;
  latency_histogram latency;
  latency_histogram interval;  // since the last progress line
  std::atomic<uint64_t> records{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> errors{0};

  void record_latency(int64_t latency_ns) {
    uint64_t v = static_cast<uint64_t>(latency_ns < 0 ? 0 : latency_ns);
    std::lock_guard lock(mutex);
    latency.record(v);
    interval.record(v);
  }
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* stats = static_cast<shared_stats*>(opaque);
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    stats->errors++;
    return;
  }
  int64_t sent_ns = reinterpret_cast<intptr_t>(m->_private);
  if (sent_ns < stats->measure_from_ns.load()) return;
  stats->record_latency(now_ns() - sent_ns);
  stats->records++;
  stats->bytes += m->len;
}

void producer_thread(const options& o, int index, shared_stats* stats, std::atomic<bool>* stop) {
  rd_kafka_conf_t* conf = base_conf(o);
  set(conf, "acks", o.acks);
  set(conf, "linger.ms", std::to_string(o.linger_ms));
  set(conf, "batch.size", std::to_string(o.batch_bytes));
  set(conf, "compression.type", o.compression);
  set(conf, "enable.idempotence", o.idempotent ? "true" : "false");
  set(conf, "queue.buffering.max.kbytes", "1048576");
  set(conf, "message.max.bytes", std::to_string(std::max<size_t>(1000000, o.record_bytes * 2)));
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_opaque(conf, stats);
  char err[256];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  std::vector<char> payload(std::max<size_t>(o.record_bytes, 16), 'x');
  std::mt19937_64 rng(static_cast<uint64_t>(index) * 7919 + 1);
  double per_thread_rate = o.rate / o.producers;
  int64_t start = now_ns();
  uint64_t sent = 0;
  while (!stop->load()) {
    if (per_thread_rate > 0) {
      int64_t due = start + static_cast<int64_t>(static_cast<double>(sent) * 1e9 / per_thread_rate);
      while (now_ns() < due && !stop->load()) {
        rd_kafka_poll(rk, 0);
        std::this_thread::sleep_for(std::chrono::microseconds(o.pace_us));
      }
    }
    int64_t ts = wall_ns();
    std::memcpy(payload.data(), &ts, sizeof(ts));
    std::string key;
    if (o.keys == "random") key = std::to_string(rng() % 100000);
    if (o.keys == "sequential") key = std::to_string(sent);
    rd_kafka_resp_err_t e = rd_kafka_producev(
        rk, RD_KAFKA_V_TOPIC(o.topic.c_str()), RD_KAFKA_V_VALUE(payload.data(), o.record_bytes),
        RD_KAFKA_V_KEY(key.empty() ? nullptr : key.data(), key.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<intptr_t>(now_ns()))),
        RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(rk, 1);
      continue;
    }
    ++sent;
    rd_kafka_poll(rk, 0);
  }
  rd_kafka_flush(rk, 30000);
  rd_kafka_destroy(rk);
}

void consumer_thread(const options& o, shared_stats* stats, std::atomic<bool>* stop, bool e2e) {
  rd_kafka_conf_t* conf = base_conf(o);
  set(conf, "group.id", "rill-bench");
  set(conf, "enable.auto.commit", "false");
  set(conf, "fetch.wait.max.ms", "100");
  set(conf, "fetch.message.max.bytes",
      std::to_string(std::max<size_t>(1 << 20, o.record_bytes * 2)));
  char err[256];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(o.partitions);
  for (int p = 0; p < o.partitions; ++p) {
    rd_kafka_topic_partition_list_add(parts, o.topic.c_str(), p)->offset =
        e2e ? RD_KAFKA_OFFSET_END : RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_assign(rk, parts);
  rd_kafka_topic_partition_list_destroy(parts);
  while (!stop->load()) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      bool stamped = e2e && m->len >= sizeof(int64_t);
      int64_t sent = 0;
      if (stamped) std::memcpy(&sent, m->payload, sizeof(sent));
      if ((e2e ? sent : now_ns()) < stats->measure_from_ns.load()) {
        rd_kafka_message_destroy(m);
        continue;
      }
      if (stamped) stats->record_latency(wall_ns() - sent);
      stats->records++;
      stats->bytes += m->len;
    } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      stats->errors++;
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
}

void print_summary(const options& o, const shared_stats& s, double seconds) {
  const latency_histogram& h = s.latency;
  double records_s = static_cast<double>(s.records.load()) / seconds;
  double mb_s = static_cast<double>(s.bytes.load()) / 1e6 / seconds;
  auto ms = [&](double q) { return static_cast<double>(h.percentile(q)) / 1e6; };
  if (o.json) {
    printf(
        "{\"label\": \"%s\", \"mode\": \"%s\", \"record_bytes\": %zu, \"partitions\": %d, "
        "\"replication_factor\": %d, "
        "\"acks\": \"%s\", \"target_rate\": %.0f, \"producers\": %d, \"seconds\": %.2f, "
        "\"records\": %llu, "
        "\"errors\": %llu, \"records_per_s\": %.0f, \"mb_per_s\": %.2f, \"latency_ms\": {\"p50\": "
        "%.3f, "
        "\"p90\": %.3f, \"p99\": %.3f, \"p99.9\": %.3f, \"p99.99\": %.3f, \"max\": %.3f}}\n",
        o.label.c_str(), o.mode.c_str(), o.record_bytes, o.partitions, o.replication_factor,
        o.acks.c_str(), o.rate, o.producers, seconds,
        static_cast<unsigned long long>(s.records.load()),
        static_cast<unsigned long long>(s.errors.load()), records_s, mb_s, ms(0.5), ms(0.9),
        ms(0.99), ms(0.999), ms(0.9999), static_cast<double>(h.max()) / 1e6);
    return;
  }
  printf("%s %s: %llu records in %.1f s = %.0f records/s, %.2f MB/s, %llu errors\n",
         o.label.c_str(), o.mode.c_str(), static_cast<unsigned long long>(s.records.load()),
         seconds, records_s, mb_s, static_cast<unsigned long long>(s.errors.load()));
  if (h.count() > 0) {
    printf("latency ms: p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  p99.99 %.3f  max %.3f\n", ms(0.5),
           ms(0.9), ms(0.99), ms(0.999), ms(0.9999), static_cast<double>(h.max()) / 1e6);
  }
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  if (auto code = parse(argc, argv, &o)) return *code;
  if (o.mode != "consume") ensure_topic(o);
  shared_stats stats;
  if (o.warmup_s > 0) stats.measure_from_ns = INT64_MAX;
  std::atomic<bool> stop{false};
  std::atomic<bool> consumer_stop{false};
  std::vector<std::thread> threads;
  shared_stats consumed;
  if (o.warmup_s > 0) consumed.measure_from_ns = INT64_MAX;
  if (o.mode == "e2e") {
    threads.emplace_back([&] { consumer_thread(o, &consumed, &consumer_stop, true); });
    std::this_thread::sleep_for(
        std::chrono::milliseconds(1000));  // let the consumer get its assignment
  }
  if (o.mode == "consume") {
    threads.emplace_back([&] { consumer_thread(o, &stats, &stop, false); });
  } else {
    for (int i = 0; i < o.producers; ++i)
      threads.emplace_back([&, i] { producer_thread(o, i, &stats, &stop); });
  }
  // Warm-up: connections, metadata and the first fetches; what is sent
  // meanwhile is not measured (the e2e consumer compares wall clock stamps).
  auto start = clock_type::now();
  if (o.warmup_s > 0) {
    fprintf(stderr, "  warm-up %.1fs\n", o.warmup_s);
    std::this_thread::sleep_for(std::chrono::duration<double>(o.warmup_s));
    start = clock_type::now();
    stats.measure_from_ns = now_ns();
    consumed.measure_from_ns = wall_ns();
  }
  uint64_t last = 0;
  while (std::chrono::duration<double>(clock_type::now() - start).count() < o.duration_s) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    shared_stats& live = o.mode == "e2e" ? consumed : stats;
    uint64_t now = live.records.load();
    std::string latency;
    {
      std::lock_guard lock(live.mutex);
      if (live.interval.count() > 0) {
        char line[128];
        snprintf(line, sizeof(line), "  latency ms p50 %.3f p99 %.3f max %.3f",
                 static_cast<double>(live.interval.percentile(0.5)) / 1e6,
                 static_cast<double>(live.interval.percentile(0.99)) / 1e6,
                 static_cast<double>(live.interval.max()) / 1e6);
        latency = line;
      }
      live.interval = latency_histogram();
    }
    fprintf(stderr, "  %5.1fs  %8llu records/s  errors %llu%s\n",
            std::chrono::duration<double>(clock_type::now() - start).count(),
            static_cast<unsigned long long>(now - last),
            static_cast<unsigned long long>(live.errors.load()), latency.c_str());
    last = now;
  }
  stop = true;
  size_t producers_end = o.mode == "e2e" ? 1 : 0;
  for (size_t i = producers_end; i < threads.size(); ++i) threads[i].join();
  double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  if (o.mode == "e2e") {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    consumer_stop = true;
    threads[0].join();
    print_summary(o, consumed, seconds);
  } else {
    print_summary(o, stats, seconds);
  }
  return stats.errors.load() > 0 ? 1 : 0;
}
