#!/usr/bin/python3
"""bench/txn_bench: transactions on a local 3-broker cluster (rill dev, one
shard per broker, RF 3), measured with librdkafka as applications use it.

  bench/txn_bench.py [--transactions 300] [--records 10] [--big 2000] [--out DIR]

  commit latency   one transaction of --records 100 B records over 3
                   partitions: begin, produce, commit_transaction() (which
                   flushes, then EndTxn and the markers); p50/p99/p99.9.
                   Reference, same run: the same records from an
                   idempotent acks=all producer, produce + flush.
  throughput       --big records of 1 KiB in one transaction, committed,
                   repeated 5 times: records/s. Reference, same run: the
                   same records from the idempotent acks=all producer,
                   flushed once per batch.
  read_committed   a consumer reading back everything the throughput phase
                   wrote, read_committed against read_uncommitted: seconds.
Writes txn_bench.json and txn_bench.md to --out (default bench/results)
and removes the cluster it made.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import uuid

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))
from group_bench import create, summary_ms  # noqa: E402
from partition_scale import DevCluster  # noqa: E402


def txn_latencies(bootstrap, topic, n, records):
    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": f"bench-{uuid.uuid4().hex[:6]}",
                  "linger.ms": 0})
    p.init_transactions(60)
    p.begin_transaction()  # warm-up, untimed: the topic's leaders
    p.produce(topic, value=b"x", partition=0)
    p.commit_transaction(60)
    out = []
    for i in range(n):
        t = time.perf_counter()
        p.begin_transaction()
        for k in range(records):
            p.produce(topic, value=b"x" * 100, partition=k % 3)
        p.commit_transaction(60)
        out.append(time.perf_counter() - t)
    return out


def idempotent_latencies(bootstrap, topic, n, records):
    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all",
                  "linger.ms": 0})
    p.produce(topic, value=b"x", partition=0)  # warm-up, untimed
    p.flush(60)
    out = []
    for i in range(n):
        t = time.perf_counter()
        for k in range(records):
            p.produce(topic, value=b"x" * 100, partition=k % 3)
        p.flush(60)
        out.append(time.perf_counter() - t)
    return out


def throughput(bootstrap, topic, records, transactional, rounds=5):
    conf = {"bootstrap.servers": bootstrap, "linger.ms": 5, "enable.idempotence": True, "acks": "all"}
    if transactional:
        conf["transactional.id"] = f"bench-big-{uuid.uuid4().hex[:6]}"
    p = Producer(conf)
    if transactional:
        p.init_transactions(60)
    value = b"y" * 1024
    # Warm-up, untimed: a new producer learns the topic's leaders (librdkafka
    # asks for a new topic's metadata up to a second later).
    if transactional:
        p.begin_transaction()
    for k in range(3):
        p.produce(topic, value=value, partition=k)
    if transactional:
        p.commit_transaction(60)
    else:
        p.flush(60)
    t = time.perf_counter()
    for _ in range(rounds):
        if transactional:
            p.begin_transaction()
        for k in range(records):
            while True:
                try:
                    p.produce(topic, value=value, partition=k % 3)
                    break
                except BufferError:
                    p.poll(0.01)
        if transactional:
            p.commit_transaction(120)
        else:
            p.flush(120)
    return rounds * records / (time.perf_counter() - t)


def read_back(bootstrap, topic, isolation, expect):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-{uuid.uuid4().hex[:6]}",
                  "isolation.level": isolation, "enable.auto.commit": False})
    c.assign([TopicPartition(topic, p, 0) for p in range(3)])
    got = 0
    t = time.perf_counter()
    deadline = time.time() + 120
    while got < expect and time.time() < deadline:
        got += sum(1 for m in c.consume(1000, timeout=0.5) if not m.error())
    took = time.perf_counter() - t
    c.close()
    if got < expect:
        raise RuntimeError(f"{isolation}: read {got} of {expect}")
    return took


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--transactions", type=int, default=300)
    ap.add_argument("--records", type=int, default=10)
    ap.add_argument("--big", type=int, default=2000)
    ap.add_argument("--base-port", type=int, default=19600)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    args = ap.parse_args()
    root = tempfile.mkdtemp(prefix="rill-txn-bench-")
    cluster = DevCluster(root, args.base_port, args.base_port + 100)
    result = {"machine": os.uname().nodename, "cpus": os.cpu_count(),
              "cluster": "3 brokers, 1 shard each, RF=3", "records_per_txn": args.records}
    try:
        cluster.start()
        admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
        for name in ("txn", "ref", "big-txn", "big-ref"):
            create(admin, name, 3)
        txn_latencies(cluster.bootstrap, "txn", 20, args.records)  # warm-up: the state topic
        idempotent_latencies(cluster.bootstrap, "ref", 20, args.records)
        result["commit"] = summary_ms(txn_latencies(cluster.bootstrap, "txn", args.transactions,
                                                    args.records))
        result["reference"] = summary_ms(idempotent_latencies(cluster.bootstrap, "ref",
                                                              args.transactions, args.records))
        result["ratio_p50"] = round(result["commit"]["p50_ms"] / result["reference"]["p50_ms"], 2)
        result["ratio_p99"] = round(result["commit"]["p99_ms"] / result["reference"]["p99_ms"], 2)
        txn_rate = throughput(cluster.bootstrap, "big-txn", args.big, True)
        ref_rate = throughput(cluster.bootstrap, "big-ref", args.big, False)
        result["throughput"] = {"records_per_txn": args.big, "txn_records_per_s": round(txn_rate),
                                "ref_records_per_s": round(ref_rate),
                                "ratio": round(txn_rate / ref_rate, 2)}
        n = 5 * args.big + 3
        committed_s = read_back(cluster.bootstrap, "big-txn", "read_committed", n)
        uncommitted_s = read_back(cluster.bootstrap, "big-txn", "read_uncommitted", n)
        result["read_back"] = {"records": n, "read_committed_s": round(committed_s, 3),
                               "read_uncommitted_s": round(uncommitted_s, 3),
                               "ratio": round(committed_s / uncommitted_s, 2)}
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "txn_bench.json"), "w") as f:
        json.dump(result, f, indent=2)
    c, r = result["commit"], result["reference"]
    lines = ["# txn_bench", "",
             f"{result['cluster']}; {args.records} records of 100 B over 3 partitions per transaction.", "",
             "| | p50 ms | p99 ms | p99.9 ms |", "|---|---|---|---|",
             f"| transaction (begin, produce, commit) | {c['p50_ms']} | {c['p99_ms']} | {c['p999_ms']} |",
             f"| reference: idempotent acks=all produce + flush | {r['p50_ms']} | {r['p99_ms']} | {r['p999_ms']} |",
             f"| ratio | {result['ratio_p50']} | {result['ratio_p99']} | |", "",
             f"Throughput, {args.big} records of 1 KiB per transaction: "
             f"{result['throughput']['txn_records_per_s']} records/s against "
             f"{result['throughput']['ref_records_per_s']} idempotent ({result['throughput']['ratio']}x).",
             f"Reading them back: read_committed {result['read_back']['read_committed_s']} s, "
             f"read_uncommitted {result['read_back']['read_uncommitted_s']} s ({result['read_back']['ratio']}x)."]
    with open(os.path.join(args.out, "txn_bench.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
