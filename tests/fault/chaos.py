#!/usr/bin/env python3
"""Rill's fault harness: real processes, real clients, real faults.

Starts a controller and three brokers (loopback, own data directories),
runs idempotent acks=all producers with unique, sequence-numbered payloads
over several RF=3 partitions, and injects faults on a seeded schedule:
kill -9 of the leader, of a follower and of the controller, SIGSTOP/SIGCONT
(the zombie leader), restarts on the same data directory. After healing it
reads every partition twice from the earliest offset and checks the
history of acknowledgements:

  lost          acknowledged but absent                (must be 0)
  duplicated    a payload present more than once       (must be 0)
  reordered     a producer's sequence going backwards  (must be 0)
  unacked       present without an acknowledgement    (allowed)
  moved         offsets that changed between the two reads (must be 0)
  longest_outage_s  the longest window a partition accepted no write

usage: chaos.py [--seed N] [--faults N] [--soak MINUTES] [--json]
The same seed replays the same schedule. Exit code 0 only when the
invariants hold. Every process is stopped, by pid, even on failure.
"""
import argparse
import json
import os
import random
import signal
import sys
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from rill_cluster import Cluster  # noqa: E402

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

PARTITIONS = 4
PRODUCERS = 2


class Workload:
    """Idempotent acks=all producers; remembers every acknowledgement."""

    def __init__(self, cluster, topic):
        self.cluster = cluster
        self.topic = topic
        self.acked = {}           # payload -> (partition, offset)
        self.last_ack = {p: time.time() for p in range(PARTITIONS)}
        self.longest_outage = {p: 0.0 for p in range(PARTITIONS)}
        self.sent = 0
        self.errors = 0
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(PRODUCERS)]

    def on_delivery(self, err, msg):
        now = time.time()
        with self.lock:
            if err is not None:
                self.errors += 1
                return
            p = msg.partition()
            self.longest_outage[p] = max(self.longest_outage[p], now - self.last_ack[p])
            self.last_ack[p] = now
            self.acked[msg.value().decode()] = (p, msg.offset())

    def run(self, index):
        p = Producer({"bootstrap.servers": self.cluster.all_bootstrap, "acks": "all",
                      "enable.idempotence": True, "linger.ms": 5, "message.timeout.ms": 60000,
                      "socket.timeout.ms": 5000, "topic.metadata.refresh.interval.ms": 1000})
        seq = 0
        while not self.stop.is_set():
            for part in range(PARTITIONS):
                payload = f"p{index}-{part}-{seq:09d}"
                try:
                    p.produce(self.topic, value=payload.encode(), partition=part, on_delivery=self.on_delivery)
                    with self.lock:
                        self.sent += 1
                except BufferError:
                    p.poll(0.05)
            seq += 1
            p.poll(0.002)
        p.flush(90)

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(120)


def read_all(bootstrap, topic):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"chaos-{uuid.uuid4().hex[:6]}",
                  "enable.auto.commit": False, "enable.partition.eof": True, "fetch.wait.max.ms": 100})
    c.assign([TopicPartition(topic, p, 0) for p in range(PARTITIONS)])
    out = {p: [] for p in range(PARTITIONS)}
    eof = set()
    deadline = time.time() + 120
    while len(eof) < PARTITIONS and time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                eof.add(m.partition())
            continue
        out[m.partition()].append((m.offset(), m.value().decode()))
    c.close()
    return out


def check(workload, first, second):
    report = {"acknowledged": len(workload.acked), "sent": workload.sent, "send_errors": workload.errors}
    present = {}
    duplicated = 0
    reordered = 0
    for p, records in first.items():
        last_seq = {}
        for offset, payload in records:
            if payload in present:
                duplicated += 1
            present[payload] = (p, offset)
            producer, _, seq = payload.split("-")
            seq = int(seq)
            if seq < last_seq.get(producer, -1):
                reordered += 1
            last_seq[producer] = seq
    lost = [k for k, v in workload.acked.items() if present.get(k) != v and k not in present]
    moved_acked = [k for k, v in workload.acked.items() if k in present and present[k] != v]
    second_map = {payload: (p, o) for p, recs in second.items() for o, payload in recs}
    moved = sum(1 for k, v in present.items() if second_map.get(k) != v)
    report.update({
        "lost": len(lost), "lost_examples": [f"{k}@{workload.acked[k][0]}:{workload.acked[k][1]}" for k in lost[:5]],
        "duplicated": duplicated, "reordered": reordered,
        "unacked_present": sum(1 for k in present if k not in workload.acked),
        "acked_at_other_offset": len(moved_acked),
        "moved": moved,
        "longest_outage_s": round(max(workload.longest_outage.values()), 2),
    })
    report["ok"] = (report["lost"] == 0 and duplicated == 0 and reordered == 0 and moved == 0
                    and report["acked_at_other_offset"] == 0)
    return report


def leader_of(cluster, topic, partition):
    try:
        md = AdminClient({"bootstrap.servers": cluster.all_bootstrap}).list_topics(topic, timeout=5)
        return md.topics[topic].partitions[partition].leader
    except Exception:  # a broker is down or restarting
        return -1


def inject(rng, cluster, topic, log):
    """One fault from the schedule; returns when it has healed."""
    kind = rng.choice(["kill_leader", "kill_follower", "kill_controller", "pause_leader", "restart_leader"])
    part = rng.randrange(PARTITIONS)
    leader = leader_of(cluster, topic, part)
    target = cluster.brokers[leader - 1] if leader > 0 else rng.choice(cluster.brokers)
    if kind == "kill_follower":
        others = [b for b in cluster.brokers if b is not target]
        target = rng.choice(others)
    log(f"fault: {kind} (partition {part}, broker {getattr(target, 'broker_id', 'controller')})")
    if kind in ("kill_leader", "kill_follower"):
        target.kill9()
        time.sleep(rng.uniform(1, 4))
        target.start()
    elif kind == "kill_controller":
        cluster.controller.kill9()
        time.sleep(rng.uniform(1, 3))
        cluster.controller.start()
    elif kind == "pause_leader":
        target.proc.send_signal(signal.SIGSTOP)
        time.sleep(rng.uniform(2, 5))
        target.proc.send_signal(signal.SIGCONT)
    elif kind == "restart_leader":
        target.stop()
        time.sleep(rng.uniform(0.5, 2))
        target.start()
    time.sleep(rng.uniform(2, 4))  # let it heal before the next fault


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--faults", type=int, default=4)
    ap.add_argument("--soak", type=float, default=0, help="minutes of faults (overrides --faults)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    started = time.time()

    def log(msg):
        print(f"[{time.time() - started:7.1f}s] {msg}", flush=True)

    log(f"seed {seed} (replay: chaos.py --seed {seed} --faults {args.faults}"
        f"{' --soak ' + str(args.soak) if args.soak else ''})")
    cluster = Cluster(controller_extra=["--session.timeout.ms=3000", "--leader.imbalance.check.interval.ms=1000"],
                      broker_extra=["--replica.lag.time.max.ms=3000", "--heartbeat.interval.ms=200"])
    Cluster.all_bootstrap = property(lambda c: ",".join(b.bootstrap for b in c.brokers))
    report = None
    try:
        cluster.start()
        topic = f"chaos-{seed}"
        admin = AdminClient({"bootstrap.servers": cluster.all_bootstrap})
        admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=3,
                                      config={"min.insync.replicas": "2"})])[topic].result(30)
        time.sleep(2)
        workload = Workload(cluster, topic)
        workload.start()
        time.sleep(3)
        deadline = time.time() + args.soak * 60 if args.soak else None
        n = 0
        while (deadline is None and n < args.faults) or (deadline is not None and time.time() < deadline):
            inject(rng, cluster, topic, log)
            n += 1
        log(f"{n} faults injected; healing")
        for b in cluster.brokers:
            if b.proc.poll() is not None:
                b.start()
        time.sleep(5)
        workload.finish()
        log(f"workload stopped: {workload.sent} sent, {len(workload.acked)} acknowledged")
        first = read_all(cluster.all_bootstrap, topic)
        second = read_all(cluster.all_bootstrap, topic)
        report = check(workload, first, second)
        report.update({"seed": seed, "faults": n, "duration_s": round(time.time() - started, 1)})
    finally:
        for b in cluster.brokers:
            if b.proc and b.proc.poll() is None:
                b.proc.send_signal(signal.SIGCONT)
        cluster.stop()
    print(json.dumps(report) if args.json else json.dumps(report, indent=2))
    if not report["ok"]:
        print(f"FAILED: seed {seed}; logs kept in {cluster.root}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
