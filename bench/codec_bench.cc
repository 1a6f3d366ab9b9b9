// Kafka codec microbenchmarks: request decode (Produce with 16 KiB of
// records, Fetch with 32 partitions), Fetch response encode, and batch
// validation (header checks + CRC-32C), each against a plain memcpy of the
// same bytes in the same run.
#include <cstring>
#include <vector>

#include "bench/bench_support.h"
#include "dataplane/kafka/messages/fetch.h"
#include "dataplane/kafka/messages/produce.h"
#include "dataplane/kafka/request_header.h"
#include "storage/batch_builder.h"
#include "storage/record_batch.h"

namespace rill::bench {
namespace {

std::vector<uint8_t> produce_frame(const std::vector<uint8_t>& batch) {
  wire_writer w;
  w.i16(0);
  w.i16(7);
  w.i32(1);
  w.string("bench", false);
  w.nullable_string(std::nullopt, false);
  w.i16(-1);
  w.i32(30000);
  w.array_length(1, false);
  w.string("topic", false);
  w.array_length(1, false);
  w.i32(0);
  w.bytes_length(static_cast<int32_t>(batch.size()), false);
  w.raw(batch);
  return std::move(w.bytes());
}

std::vector<uint8_t> fetch_frame(int partitions) {
  kafka::fetch_request req;
  req.replica_id = -1;
  req.max_wait_ms = 500;
  req.min_bytes = 1;
  req.max_bytes = 1 << 20;
  kafka::fetch_topic t{"topic", {}};
  for (int p = 0; p < partitions; ++p) t.partitions.push_back({p, 3, 1000, 2, 0, 1 << 20});
  req.topics.push_back(t);
  std::vector<uint8_t> frame = kafka::encode_fetch_request_frame(1, "bench", req);
  return std::vector<uint8_t>(frame.begin() + 4, frame.end());
}

void BM_decode_produce_16k(benchmark::State& state) {
  auto batch = storage::build_filled_batch({}, 16, 1000);
  auto frame = produce_frame(batch);
  for (auto _ : state) {
    wire_reader in(frame);
    kafka::request_header h;
    (void)kafka::decode_request_header(in, &h);
    kafka::produce_request req;
    benchmark::DoNotOptimize(kafka::decode_message(in, h, &req));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * frame.size()));
}
BENCHMARK(BM_decode_produce_16k);

void BM_baseline_memcpy_16k(benchmark::State& state) {
  std::vector<uint8_t> src(16 * 1024 + 200, 1), dst(src.size());
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), src.size());
    benchmark::DoNotOptimize(dst.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * src.size()));
}
BENCHMARK(BM_baseline_memcpy_16k);

void BM_decode_fetch_32_partitions(benchmark::State& state) {
  auto frame = fetch_frame(32);
  for (auto _ : state) {
    wire_reader in(frame);
    kafka::request_header h;
    (void)kafka::decode_request_header(in, &h);
    kafka::fetch_request req;
    benchmark::DoNotOptimize(kafka::decode_message(in, h, &req));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_decode_fetch_32_partitions);

void BM_encode_fetch_response_32_partitions(benchmark::State& state) {
  auto batch = std::make_shared<std::vector<uint8_t>>(storage::build_filled_batch({}, 16, 1000));
  kafka::request_header h{static_cast<int16_t>(kafka::api_key::fetch), 12, 1, "bench", true};
  kafka::fetch_response response;
  std::vector<kafka::fetch_topic_response>& topics = response.topics;
  topics.resize(1);
  topics[0].name = "topic";
  for (int p = 0; p < 32; ++p) {
    kafka::fetch_partition_response r;
    r.index = p;
    r.high_watermark = 5000;
    r.records.slices.push_back({batch, std::span<const uint8_t>(*batch)});
    r.records.bytes = batch->size();
    topics[0].partitions.push_back(std::move(r));
  }
  for (auto _ : state) {
    kafka::response_buffer rb;
    kafka::encode_response_header(h, rb.writer());
    kafka::encode_message(rb, h, response);
    benchmark::DoNotOptimize(rb.finish());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_encode_fetch_response_32_partitions);

void BM_validate_batch_16k(benchmark::State& state) {
  auto batch = storage::build_filled_batch({}, 16, 1000);
  for (auto _ : state) {
    size_t size = 0;
    benchmark::DoNotOptimize(
        storage::validate_batch(batch, 1 << 20, storage::count_check::exact, &size));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch.size()));
}
BENCHMARK(BM_validate_batch_16k);

}  // namespace
}  // namespace rill::bench

int main(int argc, char** argv) {
  return rill::bench::run_benchmarks(
      argc, argv,
      "rill Kafka codec benchmarks (BM_baseline_memcpy_16k is the reference: "
      "decode and validation should stay within a small factor of a copy)");
}
