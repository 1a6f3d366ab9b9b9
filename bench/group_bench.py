#!/usr/bin/python3
"""bench/group_bench: consumer groups on a local 3-broker cluster (rill dev,
one shard per broker), measured with librdkafka as applications use it.

  bench/group_bench.py [--commits 400] [--rounds 5] [--members 10] [--out DIR]

  commit latency   a synchronous OffsetCommit of 10 partitions (one
                   consumer, Consumer.commit(asynchronous=False)), idle and
                   while rill-bench produces unthrottled acks=all load on
                   another topic; p50/p99/p99.9. Reference, same run and
                   conditions: a synchronous acks=all produce of one 100 B
                   record (Producer.produce + flush), since a commit is an
                   acks=all write to __consumer_offsets plus the
                   coordinator's work.
  rebalance        N members subscribe at once to a 10-partition topic: the
                   time until every partition is assigned, once, to a
                   member (join); then one member leaves (close) and the
                   time until the rest own every partition again (leave).
                   Reference, same run: a single member's join.
Writes group_bench.json and group_bench.md to --out (default
bench/results) and removes the cluster it made.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BENCH = os.path.join(ROOT, "build", "rill-bench")
sys.path.insert(0, os.path.dirname(__file__))
from partition_scale import DevCluster  # noqa: E402  (rill dev start/stop of a 3-broker cluster)


def percentile(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def summary_ms(values):
    return {"p50_ms": round(percentile(values, 0.50) * 1000, 2),
            "p99_ms": round(percentile(values, 0.99) * 1000, 2),
            "p999_ms": round(percentile(values, 0.999) * 1000, 2),
            "mean_ms": round(statistics.mean(values) * 1000, 2), "n": len(values)}


def create(admin, name, partitions):
    admin.create_topics([NewTopic(name, partitions, 3)])[name].result(60)
    deadline = time.time() + 60
    while time.time() < deadline:
        md = admin.list_topics(name, timeout=10).topics[name]
        if all(p.leader >= 0 and len(p.isrs) == 3 for p in md.partitions.values()):
            return
        time.sleep(0.2)
    raise RuntimeError(f"{name}: no full ISR")


def commit_latencies(bootstrap, topic, n):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-commits", "enable.auto.commit": False})
    out = []
    for i in range(n):
        offsets = [TopicPartition(topic, p, i + 1) for p in range(10)]
        t = time.perf_counter()
        c.commit(offsets=offsets, asynchronous=False)
        out.append(time.perf_counter() - t)
    c.close()
    return out


def produce_latencies(bootstrap, topic, n):
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 0})
    out = []
    for i in range(n):
        t = time.perf_counter()
        p.produce(topic, value=b"x" * 100, partition=i % 10)
        p.flush(30)
        out.append(time.perf_counter() - t)
    return out


class Members:
    """n subscribed consumers, each polled on a thread of its own."""

    def __init__(self, bootstrap, group, topic, n):
        self.consumers = [Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                                    "session.timeout.ms": 6000, "heartbeat.interval.ms": 500,
                                    "enable.auto.commit": False}) for _ in range(n)]
        self.assigned = [set() for _ in range(n)]
        self.closed = [threading.Event() for _ in range(n)]
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(i, topic), daemon=True) for i in range(n)]

    def run(self, i, topic):
        c = self.consumers[i]
        c.subscribe([topic])
        while not self.stop.is_set() and not self.closed[i].is_set():
            c.poll(0.05)
            with self.lock:
                self.assigned[i] = {tp.partition for tp in c.assignment()}
        c.close()
        with self.lock:
            self.assigned[i] = set()

    def start(self):
        for t in self.threads:
            t.start()
        return time.perf_counter()

    def owns_all_once(self, partitions, live):
        with self.lock:
            owned = [p for i in live for p in self.assigned[i]]
        return sorted(owned) == list(range(partitions)) and all(self.assigned[i] for i in live
                                                                 if len(live) <= partitions)

    def wait(self, partitions, live, timeout_s=120):
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            if self.owns_all_once(partitions, live):
                return time.perf_counter()
            time.sleep(0.01)
        raise RuntimeError("the group did not settle")

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(30)


def rebalance_round(bootstrap, topic, n, tag):
    m = Members(bootstrap, f"bench-{tag}", topic, n)
    started = m.start()
    joined = m.wait(10, list(range(n)))
    leave_s = None
    if n > 1:
        m.closed[0].set()
        left = time.perf_counter()
        settled = m.wait(10, list(range(1, n)))
        leave_s = settled - left
    m.finish()
    return joined - started, leave_s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--commits", type=int, default=400)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--members", type=int, default=10)
    ap.add_argument("--base-port", type=int, default=19400)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    args = ap.parse_args()
    root = tempfile.mkdtemp(prefix="rill-group-bench-")
    cluster = DevCluster(root, args.base_port, args.base_port + 100,
                         ["--group.initial.rebalance.delay.ms=0"])
    result = {"machine": os.uname().nodename, "cpus": os.cpu_count(), "cluster": "3 brokers, 1 shard each, RF=3"}
    try:
        cluster.start()
        admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
        for name, partitions in (("work", 10), ("load", 6), ("ref", 10)):
            create(admin, name, partitions)
        commit_latencies(cluster.bootstrap, "work", 20)  # warm-up: creates the offsets topic
        result["idle"] = {"commit": summary_ms(commit_latencies(cluster.bootstrap, "work", args.commits)),
                          "produce_ref": summary_ms(produce_latencies(cluster.bootstrap, "ref", args.commits))}
        load = subprocess.Popen([BENCH, "produce", f"--bootstrap={cluster.bootstrap}", "--topic=load",
                                 "--partitions=6", "--acks=all", "--record-bytes=1024", "--duration-s=600",
                                 "--keys=random"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(3)
            under = {"commit": summary_ms(commit_latencies(cluster.bootstrap, "work", args.commits)),
                     "produce_ref": summary_ms(produce_latencies(cluster.bootstrap, "ref", args.commits))}
        finally:
            load.terminate()
            load.wait(30)
        result["under_load"] = under
        joins, leaves, singles = [], [], []
        for r in range(args.rounds):
            j, l = rebalance_round(cluster.bootstrap, "work", args.members, f"{r}-n")
            joins.append(j)
            leaves.append(l)
            singles.append(rebalance_round(cluster.bootstrap, "work", 1, f"{r}-1")[0])
        result["rebalance"] = {"members": args.members, "join_s": [round(x, 2) for x in joins],
                               "leave_s": [round(x, 2) for x in leaves],
                               "single_join_s": [round(x, 2) for x in singles]}
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
    for phase in ("idle", "under_load"):
        c, p = result[phase]["commit"], result[phase]["produce_ref"]
        result[phase]["ratio_p50"] = round(c["p50_ms"] / p["p50_ms"], 2)
        result[phase]["ratio_p99"] = round(c["p99_ms"] / p["p99_ms"], 2)
    rb = result["rebalance"]
    rb["join_ratio_to_single"] = round(statistics.median(rb["join_s"]) / statistics.median(rb["single_join_s"]), 2)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "group_bench.json"), "w") as f:
        json.dump(result, f, indent=2)
    lines = ["# Consumer-group benchmark (bench/group_bench.py)", "",
             f"{result['cluster']}, {result['cpus']} CPUs. Latencies in ms.", "",
             "| phase | commit p50 | commit p99 | commit p99.9 | ref produce p50 | ref produce p99 | ratio p50 | ratio p99 |",
             "|---|---|---|---|---|---|---|---|"]
    for phase in ("idle", "under_load"):
        c, p = result[phase]["commit"], result[phase]["produce_ref"]
        lines.append(f"| {phase} | {c['p50_ms']} | {c['p99_ms']} | {c['p999_ms']} | {p['p50_ms']} | "
                     f"{p['p99_ms']} | {result[phase]['ratio_p50']} | {result[phase]['ratio_p99']} |")
    lines += ["", f"Rebalance, {rb['members']} members, 10 partitions (s, per round): join {rb['join_s']}, "
              f"after one leaves {rb['leave_s']}; a single member's join {rb['single_join_s']} "
              f"(median ratio {rb['join_ratio_to_single']})."]
    with open(os.path.join(args.out, "group_bench.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
