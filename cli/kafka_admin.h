// The cluster as the admin commands reach it: a librdkafka handle and the
// wait for one admin result. Shared by admin.cc and groups.cc.
#pragma once

#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>

namespace rill::cli {

using client_ptr = std::unique_ptr<rd_kafka_t, void (*)(rd_kafka_t*)>;
using event_ptr = std::unique_ptr<rd_kafka_event_t, void (*)(rd_kafka_event_t*)>;
using queue_ptr = std::unique_ptr<rd_kafka_queue_t, void (*)(rd_kafka_queue_t*)>;

// A client of the cluster at bootstrap (HOST:PORT[,...]); errors only are logged.
client_ptr connect_admin(const std::string& bootstrap);

// The next event on q within timeout_ms, or null after printing that `what`
// timed out or failed (the event's own error).
event_ptr wait_result(rd_kafka_queue_t* q, const char* what, int timeout_ms = 30000);

queue_ptr new_queue(rd_kafka_t* rk);

// Metadata of one topic, or of all topics when topic is empty; null after
// printing the error. The caller frees it with rd_kafka_metadata_destroy.
const rd_kafka_metadata_t* fetch_metadata(rd_kafka_t* rk, const std::string& topic);

}  // namespace rill::cli
