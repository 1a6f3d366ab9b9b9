#!/usr/bin/python3
"""bench/fetch_session_bench: what incremental fetch sessions (KIP-227) save a
consumer that follows many partitions, on one broker (one shard).

  bench/fetch_session_bench.py [--partitions 500] [--fetches 300] [--out DIR]

A consumer of --partitions partitions of one topic fetches them over and over
(Fetch v12, max_wait 0), in two cases:
  idle     nothing new anywhere;
  one new  one record was produced to one partition (a different one each
           time) before each fetch.
Measured: the Fetch round trip (p50/p99/p99.9/max) and the request and
response sizes. Reference, same run and broker: the same fetches without a
session (every partition named in every request and answered in every
response, as librdkafka 2.0.2 and kafkajs fetch). Writes
fetch_session_bench.json and .md to --out (default bench/results) and removes
the broker and its data.
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
RILL = os.path.join(ROOT, "build", "rill")
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from kafka_wire_fetch import fetch  # noqa: E402  (Fetch v12 written from the guide)
from kafka_wire_groups import GroupClient  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def summary(latencies, sizes):
    return {"p50_us": round(percentile(latencies, 0.50) * 1e6, 1),
            "p99_us": round(percentile(latencies, 0.99) * 1e6, 1),
            "p999_us": round(percentile(latencies, 0.999) * 1e6, 1),
            "max_us": round(max(latencies) * 1e6, 1),
            "request_bytes": round(sum(s["request_bytes"] for s in sizes) / len(sizes)),
            "response_bytes": round(sum(s["response_bytes"] for s in sizes) / len(sizes)),
            "n": len(latencies)}


class Consumer:
    """Positions of every partition; a session (or none) to fetch them with."""

    def __init__(self, port, topic, partitions, use_session):
        self.client = GroupClient("127.0.0.1", port, client_id="fetch-session-bench")
        self.topic = topic
        self.positions = {p: 0 for p in range(partitions)}
        self.use_session = use_session
        self.session, self.epoch, self.changed = 0, -1, dict(self.positions)
        if use_session:
            self.round()  # epoch 0 opens the session with every partition
            assert self.session != 0, "the broker gave no session"

    def round(self):
        """One fetch; returns (seconds, sizes) and moves the positions."""
        sizes = {}
        named = self.changed if self.use_session else self.positions
        epoch = self.epoch + 1 if self.use_session else -1
        start = time.perf_counter()
        error, sid, parts = fetch(self.client, self.session, epoch, named, topic=self.topic,
                                  sizes=sizes)
        took = time.perf_counter() - start
        if error != 0:
            raise RuntimeError(f"fetch error {error}")
        if self.use_session:
            self.session, self.epoch = sid, epoch
        self.changed = {}
        for p, (perror, hw, records) in parts.items():
            if perror != 0:
                raise RuntimeError(f"partition {p}: error {perror}")
            if records and hw > self.positions[p]:
                self.positions[p] = hw
                self.changed[p] = hw
        return took, sizes

    def close(self):
        self.client.close()


def measure(port, topic, partitions, fetches, use_session, producer):
    c = Consumer(port, topic, partitions, use_session)
    out = {}
    for case in ("idle", "one new"):
        latencies, sizes = [], []
        for i in range(fetches):
            if case == "one new":
                producer.produce(topic, value=b"x" * 100, partition=i % partitions)
                producer.flush(10)
            took, s = c.round()
            latencies.append(took)
            sizes.append(s)
        out[case] = summary(latencies, sizes)
    c.close()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--partitions", type=int, default=500)
    ap.add_argument("--fetches", type=int, default=300)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    args = ap.parse_args()
    if args.partitions < 1 or args.fetches < 1:
        ap.error("--partitions and --fetches must be at least 1")
    data = tempfile.mkdtemp(prefix="rill-fetch-session-bench-")
    port = free_port()
    log = open(os.path.join(data, "broker.log"), "wb")
    broker = subprocess.Popen([RILL, "broker", "--broker.id=1", f"--port={port}", f"--log.dirs={data}/b1",
                               "--shards=1", "--pin.shards=false"], stdout=log, stderr=log)
    admin = producer = None
    try:
        deadline = time.time() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or broker.poll() is not None:
                    raise RuntimeError("the broker did not start")
                time.sleep(0.1)
        bootstrap = f"127.0.0.1:{port}"
        topic = "fetch-session-bench"
        admin = AdminClient({"bootstrap.servers": bootstrap})
        admin.create_topics([NewTopic(topic, args.partitions, 1)])[topic].result(120)
        producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0, "acks": "all"})
        # Sessionless first, then with a session; each sees the same log growth.
        full = measure(port, topic, args.partitions, args.fetches, False, producer)
        incremental = measure(port, topic, args.partitions, args.fetches, True, producer)
    finally:
        admin = producer = None  # the clients go before the broker they talk to
        broker.terminate()
        try:
            broker.wait(30)
        except subprocess.TimeoutExpired:
            broker.kill()
        shutil.rmtree(data, ignore_errors=True)
    result = {"machine": {"cpus": os.cpu_count(), "kernel": os.uname().release},
              "settings": {"partitions": args.partitions, "fetches": args.fetches, "shards": 1,
                           "fetch_version": 12, "max_wait_ms": 0},
              "sessionless": full, "incremental": incremental}
    lines = [f"# Fetch sessions: {args.partitions} partitions, {args.fetches} fetches per case, one broker shard",
             "", "| case | mode | p50 us | p99 us | p99.9 us | max us | request B | response B |",
             "|---|---|---|---|---|---|---|---|"]
    for case in ("idle", "one new"):
        for mode, r in (("sessionless (reference)", full[case]), ("incremental session", incremental[case])):
            lines.append(f"| {case} | {mode} | {r['p50_us']} | {r['p99_us']} | {r['p999_us']} | {r['max_us']} "
                         f"| {r['request_bytes']} | {r['response_bytes']} |")
        f, i = full[case], incremental[case]
        lines.append(f"| {case} | ratio session/reference | {i['p50_us'] / f['p50_us']:.3f} | "
                     f"{i['p99_us'] / f['p99_us']:.3f} | {i['p999_us'] / f['p999_us']:.3f} | "
                     f"{i['max_us'] / f['max_us']:.3f} | {i['request_bytes'] / f['request_bytes']:.4f} | "
                     f"{i['response_bytes'] / f['response_bytes']:.4f} |")
    text = "\n".join(lines) + "\n"
    print(json.dumps(result["settings"]), file=sys.stderr)
    print(text)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "fetch_session_bench.json"), "w") as f:
        json.dump(result, f, indent=2)
    with open(os.path.join(args.out, "fetch_session_bench.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
