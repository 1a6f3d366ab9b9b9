// kafka_connection: serves the Kafka protocol on one client connection.
//
// The reader takes frames off the socket, refuses oversized or malformed
// ones by closing the connection (with a logged reason; nothing else is
// affected), and starts one handler coroutine per request, up to
// requests_in_flight_max at once. The writer sends responses strictly in
// request order, as Kafka clients require; large record slices go out with
// zero-copy sends. The stream is TCP for clients and TCP or the DPDK
// transport for followers. Runs on the connection's shard; returns when the
// connection is done and every started handler has finished.
#pragma once

#include "base/task.h"
#include "dataplane/node/broker_context.h"
#include "platform/net/byte_stream.h"

namespace rill::kafka {

task<void> serve_kafka_connection(net::byte_stream& connection, partition::broker_context& broker);

}  // namespace rill::kafka
