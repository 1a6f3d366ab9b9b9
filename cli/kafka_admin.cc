#include "cli/kafka_admin.h"

#include <cstdio>

namespace rill::cli {

client_ptr connect_admin(const std::string& bootstrap) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[256];
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof(err));
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  return client_ptr(rk, rd_kafka_destroy);
}

event_ptr wait_result(rd_kafka_queue_t* q, const char* what, int timeout_ms) {
  event_ptr ev(rd_kafka_queue_poll(q, timeout_ms), rd_kafka_event_destroy);
  if (ev == nullptr) {
    fprintf(stderr, "rill: %s timed out\n", what);
    return ev;
  }
  if (rd_kafka_event_error(ev.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    fprintf(stderr, "rill: %s failed: %s\n", what, rd_kafka_event_error_string(ev.get()));
    return event_ptr(nullptr, rd_kafka_event_destroy);
  }
  return ev;
}

queue_ptr new_queue(rd_kafka_t* rk) {
  return queue_ptr(rd_kafka_queue_new(rk), rd_kafka_queue_destroy);
}

const rd_kafka_metadata_t* fetch_metadata(rd_kafka_t* rk, const std::string& topic) {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* t = topic.empty() ? nullptr : rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  rd_kafka_resp_err_t e = rd_kafka_metadata(rk, topic.empty() ? 1 : 0, t, &md, 10000);
  if (t != nullptr) rd_kafka_topic_destroy(t);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    fprintf(stderr, "rill: metadata: %s\n", rd_kafka_err2str(e));
    return nullptr;
  }
  return md;
}

}  // namespace rill::cli
