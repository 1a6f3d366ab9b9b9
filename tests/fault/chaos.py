#!/usr/bin/env python3
"""Rill's fault harness: real processes, real clients, real faults.

Starts a controller and three brokers (own data directories), runs
idempotent acks=all producers with unique, sequence-numbered payloads over
several RF=3 partitions, and injects faults on a seeded schedule:
  kill -9 of the leader, of a follower and of the controller, SIGSTOP/SIGCONT
  (the paused leader), restarts on the same data directory;
  with --network (default when root): every process in a network namespace
  of its own behind a bridge (tests/fault/netns.py); the leader's link goes
  down, or the leader is cut from the controller and the other brokers while
  clients still reach it (the zombie leader);
  with --disk-mb (default 256 when root): each broker's data on a tmpfs of
  that size (tests/fault/small_disk.py), filled to ENOSPC under the leader
  or a follower for a few seconds.
The schedule goes through every kind in a seeded order before repeating.
After healing it reads every partition twice from the earliest offset and
checks the history of acknowledgements:

  lost          acknowledged but absent                (must be 0)
  duplicated    a payload present more than once       (must be 0)
  reordered     a producer's acknowledged records going backwards (must be 0)
  unacked       present without an acknowledgement    (allowed)
  unacked_out_of_order  such a record stored after records sent later than it
                (allowed: its request reached a broker after the client had
                given up on it)
  moved         offsets that changed between the two reads (must be 0)
  acked_at_other_offset  found at another partition/offset than acknowledged
                (must be 0; acks that carry no offset are checked for presence)
  producer_fatal_errors  a producer the cluster drove into a fatal error (must be none)
  producer_restarts_for_client_bug  producers replaced after librdkafka < 2.3's
                known idempotence bug (see known_client_bug; allowed)
  longest_outage_s  the longest window a partition accepted no write

A consumer group member (librdkafka, subscribe()) reads the topic while
the faults run, committing every second, and is restarted (closed without
a final commit, as a crash leaves it) after every second fault; it must
resume from its commits:
  group_skipped     acknowledged but never delivered to the group (must be 0)
  group_duplicates  deliveries beyond the first (allowed: the uncommitted
                    tail before a restart or a rebalance is read again)

A transactional producer (librdkafka, transactional.id) writes
transactions of TXN_RECORDS records over the TXN_PARTITIONS partitions of
a second topic while the faults run, committing most and aborting some
(seeded); a transaction whose outcome the client could not learn (a
timeout, a fatal error that replaced the producer) is "undecided". After
healing a read_committed consumer reads that topic:
  txn_committed_lost     a record of a committed transaction absent (must be 0)
  txn_aborted_visible    a record of an aborted transaction read (must be 0)
  txn_partial            an undecided transaction read in part (must be 0:
                         all of a transaction or none of it)
  txn_duplicated         a record read more than once (must be 0)

With --replication-transport=dpdk the brokers replicate over DPDK: on
net_af_packet over each namespace's interface with --network (the zombie
leader's cut then also drops its replication frames on the bridge), on
net_memif links between processes without it.

usage: chaos.py [--seed N] [--faults N] [--soak MINUTES] [--json]
                [--network|--no-network] [--disk-mb N (0: off)] [--kinds K1,K2,..]
                [--replication-transport tcp|dpdk]
The same seed replays the same schedule. Exit code 0 only when the
invariants hold. Every process is stopped, by pid, even on failure.
"""
import argparse
import json
import logging
import os
import random
import signal
import sys
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from rill_cluster import Cluster, af_packet_settings, memif_settings  # noqa: E402
import netns  # noqa: E402
import small_disk  # noqa: E402

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

PARTITIONS = 4
PRODUCERS = 2
# Plain producers: no idempotence, records of mixed sizes (10 B to 32 KiB),
# retries off so that a request the cluster failed is reported rather than
# resent; what they got acknowledged must be there, once, in the order sent.
# They run on kafka-python (pure Python, a second client implementation),
# which keeps a partition's batches in order across a leader change when one
# request is in flight. librdkafka (2.0.2) does not: it resends a batch that
# a deposed leader refused with NOT_LEADER behind the batches it sent to the
# new leader meanwhile, retries=0 and max.in.flight=1 notwithstanding, and
# reports no error - the reordering Kafka's contract allows without
# idempotence (seen with pause_leader, seed 301). Pipelined mixed sizes
# under faults are covered by the idempotent librdkafka producers, every
# 50th of whose records is padded (the broker refuses any reordering of
# theirs by sequence number), and without faults by test_ordering. Paced
# (PLAIN_ROUNDS_PER_S rounds of one record per partition) so that their
# bytes, about 6 MiB a minute each, leave the brokers' small disks room.
PLAIN_PRODUCERS = 2
PLAIN_ROUNDS_PER_S = 6
# The transactional workload: transactions of TXN_RECORDS records spread
# over TXN_PARTITIONS partitions, one in TXN_ABORT_EVERY aborted.
TXN_PARTITIONS = 2
TXN_RECORDS = 8
TXN_ABORT_EVERY = 4


def padded(payload, rng):
    """The payload, then '|' and filler to a log-uniform size of 10 B to 32 KiB."""
    size = int(10 * (2 ** (rng.random() * 11.7)))
    return payload + "|" + "x" * max(0, size - len(payload) - 1)


def known_client_bug(reason):
    """librdkafka before 2.3.0 (Debian 12 ships 2.0.2) advances its next
    expected sequence past a batch whose request timed out or whose
    connection dropped ("possibly persisted"), then treats the broker's
    correct OUT_OF_ORDER_SEQUENCE_NUMBER for the next batch as fatal
    (librdkafka PR #4438). A leader cut off mid-request triggers it. The
    application's remedy is a new producer; the harness does that, reports
    it, and still requires every acknowledged record to be there."""
    return ("sequence desynchronization" in reason
            and ("_TIMED_OUT" in reason or "_TRANSPORT" in reason)
            and "MsgPossiblyPersisted" in reason)


class FatalReasonHandler(logging.Handler):
    """Passes librdkafka's log lines to stderr and remembers fatal errors."""

    def __init__(self, fatal):
        super().__init__()
        self.fatal = fatal

    def emit(self, record):
        message = record.getMessage()
        if "Fatal error:" in message:
            self.fatal.append(message)
        print(f"%{record.levelno}|{message}", file=sys.stderr, flush=True)


class Workload:
    """Idempotent acks=all producers and plain ones; remembers every acknowledgement."""

    def __init__(self, cluster, topic):
        self.cluster = cluster
        self.topic = topic
        self.acked = {}           # payload -> (partition, offset)
        self.last_ack = {p: time.time() for p in range(PARTITIONS)}
        self.longest_outage = {p: 0.0 for p in range(PARTITIONS)}
        self.sent = 0
        self.errors = 0
        self.fatal = []     # producers that died of anything else: a failed run
        self.restarts = []  # producers restarted after librdkafka's known idempotence bug
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(PRODUCERS)]
        self.threads += [threading.Thread(target=self.run_plain, args=(i,), daemon=True)
                         for i in range(PLAIN_PRODUCERS)]

    def on_delivery(self, err, msg):
        now = time.time()
        with self.lock:
            if err is not None:
                self.errors += 1
                return
            p = msg.partition()
            self.longest_outage[p] = max(self.longest_outage[p], now - self.last_ack[p])
            self.last_ack[p] = now
            self.acked[msg.value().decode().split("|")[0]] = (p, msg.offset())

    def run(self, index):
        generation = 0
        while not self.stop.is_set():
            fatal = []
            try:
                self.produce(f"p{index}g{generation}", fatal)
                return
            except KafkaException as e:
                reason = fatal[0] if fatal else str(e)
                with self.lock:
                    if known_client_bug(reason):
                        self.restarts.append(f"p{index}g{generation}: {reason}")
                    else:
                        self.fatal.append(f"p{index}g{generation}: {reason}")
                        return
            generation += 1

    def run_plain(self, index):
        from kafka import KafkaProducer  # Debian's python3-kafka
        p = KafkaProducer(bootstrap_servers=self.cluster.all_bootstrap.split(","), acks="all", retries=0,
                          max_in_flight_requests_per_connection=1, linger_ms=5, api_version=(2, 5),
                          max_request_size=4 << 20, request_timeout_ms=30000, metadata_max_age_ms=1000)
        rng = random.Random(index)
        name = f"plain{index}"
        seq = 0
        while not self.stop.is_set():
            for part in range(PARTITIONS):
                payload = f"{name}-{part}-{seq:09d}"
                future = p.send(self.topic, value=padded(payload, rng).encode(), partition=part)
                with self.lock:
                    self.sent += 1
                future.add_callback(self.on_plain_delivery, payload)
                future.add_errback(self.on_plain_error)
            seq += 1
            time.sleep(1.0 / PLAIN_ROUNDS_PER_S)
        p.flush(90)
        p.close(10)

    def on_plain_delivery(self, payload, metadata):
        now = time.time()
        with self.lock:
            part = metadata.partition
            self.longest_outage[part] = max(self.longest_outage[part], now - self.last_ack[part])
            self.last_ack[part] = now
            self.acked[payload] = (part, metadata.offset)

    def on_plain_error(self, _error):
        with self.lock:
            self.errors += 1

    def produce(self, name, fatal):
        def on_error(err):
            if err.fatal():
                fatal.append(err.str())

        # librdkafka logs the reason of a fatal error even when error_cb
        # has not been served yet; keep both routes.
        logger = logging.getLogger(f"chaos.{name}")
        logger.propagate = False
        logger.addHandler(FatalReasonHandler(fatal))
        p = Producer({"bootstrap.servers": self.cluster.all_bootstrap, "acks": "all",
                      "enable.idempotence": True, "linger.ms": 5, "message.timeout.ms": 60000,
                      "socket.timeout.ms": 5000, "topic.metadata.refresh.interval.ms": 1000,
                      "error_cb": on_error, "logger": logger})
        try:
            self.produce_until_stopped(p, name)
        except KafkaException:
            try:
                p.poll(1)  # serves error_cb, which names the fatal error
            except KafkaException:
                pass
            raise

    def produce_until_stopped(self, p, name):
        seq = 0
        mix = random.Random(name)
        while not self.stop.is_set():
            for part in range(PARTITIONS):
                payload = f"{name}-{part}-{seq:09d}"
                value = padded(payload, mix) if seq % 50 == 49 else payload
                try:
                    p.produce(self.topic, value=value.encode(), partition=part, on_delivery=self.on_delivery)
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


class TxnWorkload:
    """A transactional producer; remembers what each transaction's outcome was."""

    def __init__(self, cluster, topic, seed):
        self.cluster = cluster
        self.topic = topic
        self.rng = random.Random(seed)
        self.outcomes = {}  # transaction name -> "committed" | "aborted" | "undecided"
        self.replaced = []  # producers replaced after a fatal error, with the reason
        self.settled = False
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def producer(self, settling=False):
        """A new instance of the transactional producer, once init_transactions()
        (which fences the previous one and completes or aborts what it left
        undecided) succeeded."""
        attempts = 0
        while settling or not self.stop.is_set():
            p = Producer({"bootstrap.servers": self.cluster.all_bootstrap,
                          "transactional.id": f"{self.topic}-txn", "linger.ms": 2,
                          "message.timeout.ms": 60000, "socket.timeout.ms": 5000,
                          "transaction.timeout.ms": 60000, "topic.metadata.refresh.interval.ms": 1000})
            while settling or not self.stop.is_set():
                attempts += 1
                if settling and attempts > 5:
                    return None
                try:
                    p.init_transactions(30)
                    return p
                except KafkaException as e:
                    if e.args[0].fatal():
                        self.replaced.append(f"init_transactions: {e.args[0].str()}")
                        break
        return None

    def run(self):
        n = 0
        p = self.producer()
        while p is not None and not self.stop.is_set():
            name = f"t{n:06d}"
            n += 1
            abort = self.rng.randrange(TXN_ABORT_EVERY) == 0
            try:
                p.begin_transaction()
                for i in range(TXN_RECORDS):
                    p.produce(self.topic, value=f"{name}-{i}".encode(), partition=i % TXN_PARTITIONS)
                if abort:
                    p.flush(60)  # on the brokers before the abort
                    self.outcomes[name] = "undecided"
                    p.abort_transaction(60)
                    self.outcomes[name] = "aborted"
                else:
                    self.outcomes[name] = "undecided"
                    p.commit_transaction(60)
                    self.outcomes[name] = "committed"
            except KafkaException as e:
                err = e.args[0]
                self.outcomes[name] = "undecided"
                if err.fatal():
                    self.replaced.append(f"{name}: {err.str()}")
                    p = self.producer()
                    continue
                try:
                    p.abort_transaction(60)  # abortable or retriable: give this one up
                    self.outcomes[name] = "aborted" if err.txn_requires_abort() else "undecided"
                except KafkaException as e2:
                    self.replaced.append(f"{name}: abort failed: {e2.args[0].str()}")
                    p = self.producer()

    def finish(self):
        """Stops, then lets one more instance settle every transaction: an
        undecided one is then committed or aborted on every partition."""
        self.stop.set()
        self.thread.join(180)
        self.settled = self.producer(settling=True) is not None

    def check(self, bootstrap):
        records = read_all(bootstrap, self.topic, TXN_PARTITIONS, "read_committed")
        seen = {}
        for recs in records.values():
            for _, v in recs:
                seen[v] = seen.get(v, 0) + 1
        per_txn = {}
        for v in seen:
            name = v.split("-")[0]
            per_txn[name] = per_txn.get(name, 0) + 1
        counts = {k: sum(1 for o in self.outcomes.values() if o == k)
                  for k in ("committed", "aborted", "undecided")}
        lost = sum(TXN_RECORDS - per_txn.get(t, 0) for t, o in self.outcomes.items() if o == "committed")
        visible = sum(per_txn.get(t, 0) for t, o in self.outcomes.items() if o == "aborted")
        partial = [t for t, o in self.outcomes.items()
                   if o == "undecided" and per_txn.get(t, 0) not in (0, TXN_RECORDS)]
        report = {"txn_" + k: v for k, v in counts.items()}
        report.update({"txn_settled": self.settled, "txn_committed_lost": lost, "txn_aborted_visible": visible,
                       "txn_partial": len(partial), "txn_partial_examples": partial[:5],
                       "txn_duplicated": sum(n - 1 for n in seen.values()),
                       "txn_producers_replaced": len(self.replaced),
                       "txn_replaced_reasons": self.replaced[:5]})
        report["txn_ok"] = (self.settled and lost == 0 and visible == 0 and not partial and report["txn_duplicated"] == 0
                            and counts["committed"] > 0)
        return report


class GroupReader:
    """A consumer group member reading the topic while faults run."""

    COMMIT_EVERY_S = 1.0

    def __init__(self, cluster, topic):
        self.cluster = cluster
        self.topic = topic
        self.group = f"{topic}-readers"
        self.delivered = {}  # payload -> deliveries
        self.restarts = 0
        self.commits = 0
        self.commit_errors = 0
        self.errors = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.restart = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            c = Consumer({"bootstrap.servers": self.cluster.all_bootstrap, "group.id": self.group,
                          "auto.offset.reset": "earliest", "enable.auto.commit": False,
                          "session.timeout.ms": 6000, "heartbeat.interval.ms": 500,
                          "fetch.wait.max.ms": 100, "socket.timeout.ms": 5000,
                          "topic.metadata.refresh.interval.ms": 1000})
            c.subscribe([self.topic])
            last_commit = time.time()
            while not self.stop.is_set() and not self.restart.is_set():
                m = c.poll(0.2)
                if m is not None and not m.error():
                    payload = m.value().decode().split("|")[0]
                    with self.lock:
                        self.delivered[payload] = self.delivered.get(payload, 0) + 1
                elif m is not None and m.error().code() != KafkaError._PARTITION_EOF:
                    with self.lock:
                        self.errors.append(str(m.error()))
                if time.time() - last_commit >= self.COMMIT_EVERY_S:
                    last_commit = time.time()
                    try:
                        c.commit(asynchronous=False)
                        self.commits += 1
                    except KafkaException as e:
                        if e.args[0].code() != KafkaError._NO_OFFSET:
                            self.commit_errors += 1
            if self.restart.is_set():
                self.restart.clear()
                self.restarts += 1
            c.close()  # no final commit: what was read since the last one is read again

    def wait_for(self, payloads, timeout_s):
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            with self.lock:
                if all(p in self.delivered for p in payloads):
                    return
            time.sleep(0.5)

    def finish(self):
        self.stop.set()
        self.thread.join(60)

    def report(self, acked):
        skipped = [p for p in acked if p not in self.delivered]
        return {"group_skipped": len(skipped), "group_skipped_examples": skipped[:5],
                "group_delivered": len(self.delivered),
                "group_duplicates": sum(n - 1 for n in self.delivered.values()),
                "group_restarts": self.restarts, "group_commits": self.commits,
                "group_commit_errors": self.commit_errors, "group_consumer_errors": self.errors[:5]}


def read_all(bootstrap, topic, partitions=PARTITIONS, isolation="read_uncommitted"):
    """Every partition from its start to its end: {partition: [(offset, payload)]}."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"chaos-{uuid.uuid4().hex[:6]}",
                  "enable.auto.commit": False, "enable.partition.eof": True, "fetch.wait.max.ms": 100,
                  "isolation.level": isolation})
    c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    out = {p: [] for p in range(partitions)}
    eof = set()
    deadline = time.time() + 120
    while len(eof) < partitions and time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                eof.add(m.partition())
            continue
        out[m.partition()].append((m.offset(), m.value().decode().split("|")[0]))
    c.close()
    return out


def producer_counts(per_producer, payload):
    """The report's counts for the producer of payload (its generations together)."""
    name = payload.split("-")[0].split("g")[0]
    return per_producer.setdefault(name, {"stored": 0, "acked": 0, "lost": 0, "duplicated": 0, "reordered": 0})


def check(workload, first, second):
    report = {"acknowledged": len(workload.acked), "sent": workload.sent, "send_errors": workload.errors,
              "producer_fatal_errors": workload.fatal,
              "producer_restarts_for_client_bug": workload.restarts}
    present = {}
    duplicated = 0
    reordered = 0
    examples = []  # what a duplicate or a reorder looked like, for the report
    per_producer = {}  # the producer's name without its generation -> counts
    unacked_out_of_order = 0
    for p, records in first.items():
        last_acked_seq = {}  # per producer: order is promised for what was acknowledged
        last_seq = {}
        for offset, payload in records:
            producer, _, seq = payload.split("-")
            counts = producer_counts(per_producer, payload)
            counts["stored"] += 1
            if payload in present:
                duplicated += 1
                counts["duplicated"] += 1
                if len(examples) < 10:
                    examples.append(f"duplicate {payload} at {present[payload]} and {(p, offset)}"
                                    f"{'' if payload in workload.acked else ' (unacknowledged)'}")
            present[payload] = (p, offset)
            seq = int(seq)
            if payload in workload.acked:
                if seq < last_acked_seq.get(producer, -1):
                    reordered += 1
                    counts["reordered"] += 1
                    if len(examples) < 10:
                        examples.append(f"{producer} seq {seq} at {p}:{offset} after seq "
                                        f"{last_acked_seq[producer]}")
                last_acked_seq[producer] = seq
            elif seq < last_seq.get(producer, -1):
                # A send the producer was told had failed (a timeout, a dropped
                # connection), stored anyway and later than what followed it:
                # a request that reached a broker on a connection the client had
                # already given up. Kafka makes no promise about where such a
                # record lands; counted, not a failure.
                unacked_out_of_order += 1
            last_seq[producer] = max(seq, last_seq.get(producer, -1))
    lost = [k for k, v in workload.acked.items() if present.get(k) != v and k not in present]
    for k in workload.acked:
        producer_counts(per_producer, k)["acked"] += 1
    for k in lost:
        producer_counts(per_producer, k)["lost"] += 1
    # librdkafka acknowledges some records without an offset (messages it
    # counts as delivered because a later batch of theirs was): only their
    # presence can be checked.
    moved_acked = [k for k, v in workload.acked.items()
                   if k in present and (present[k][0] != v[0] or (v[1] is not None and present[k][1] != v[1]))]
    second_map = {payload: (p, o) for p, recs in second.items() for o, payload in recs}
    moved = sum(1 for k, v in present.items() if second_map.get(k) != v)
    report.update({
        "lost": len(lost), "lost_examples": [f"{k}@{workload.acked[k][0]}:{workload.acked[k][1]}" for k in lost[:5]],
        "duplicated": duplicated, "reordered": reordered, "unacked_out_of_order": unacked_out_of_order,
        "unacked_present": sum(1 for k in present if k not in workload.acked),
        "acked_without_offset": sum(1 for v in workload.acked.values() if v[1] is None),
        "acked_at_other_offset": len(moved_acked),
        "acked_at_other_offset_examples": [f"{k} acked {workload.acked[k]} found {present[k]}"
                                           for k in moved_acked[:10]],
        "moved": moved,
        "longest_outage_s": round(max(workload.longest_outage.values()), 2),
        "per_producer": per_producer,
        "duplicated_or_reordered_examples": examples,
    })
    report["ok"] = (report["lost"] == 0 and duplicated == 0 and reordered == 0 and moved == 0
                    and report["acked_at_other_offset"] == 0 and not workload.fatal)
    return report


def leader_of(cluster, topic, partition):
    try:
        md = AdminClient({"bootstrap.servers": cluster.all_bootstrap}).list_topics(topic, timeout=5)
        return md.topics[topic].partitions[partition].leader
    except Exception:  # a broker is down or restarting
        return -1


PROCESS_FAULTS = ["kill_leader", "kill_follower", "kill_controller", "pause_leader", "restart_leader"]
NETWORK_FAULTS = ["isolate_leader", "partition_leader"]
DPDK_ETHER_TYPE = 0x88B5  # dataplane/bypass/segment.h
DISK_FAULTS = ["disk_full_leader", "disk_full_follower"]


def schedule(rng, kinds):
    """Every kind once in a seeded order, then again in another order."""
    while True:
        order = list(kinds)
        rng.shuffle(order)
        yield from order


def inject(kind, rng, cluster, topic, log, disks):
    """One fault; returns when it has healed."""
    part = rng.randrange(PARTITIONS)
    leader = leader_of(cluster, topic, part)
    target = cluster.brokers[leader - 1] if leader > 0 else rng.choice(cluster.brokers)
    if kind in ("kill_follower", "disk_full_follower"):
        others = [b for b in cluster.brokers if b is not target]
        target = rng.choice(others)
    node = f"broker-{target.broker_id}"
    log(f"fault: {kind} (partition {part}, {'controller' if kind == 'kill_controller' else node})")
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
    elif kind == "isolate_leader":
        cluster.network.isolate(node)
        time.sleep(rng.uniform(3, 7))
        cluster.network.heal(node)
    elif kind == "partition_leader":
        cluster.network.partition(node, [n for n in cluster.network.nodes if n != node])
        if cluster.dpdk:
            cluster.network.cut_frames(node, DPDK_ETHER_TYPE)
        time.sleep(rng.uniform(3, 7))
        cluster.network.heal(node)
    elif kind in DISK_FAULTS:
        disk = disks[target.broker_id]
        taken = disk.fill()
        log(f"  disk of {node} full ({taken >> 20} MiB taken, {disk.free_bytes()} bytes free)")
        time.sleep(rng.uniform(2, 5))
        disk.release()
    time.sleep(rng.uniform(2, 4))  # let it heal before the next fault


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--faults", type=int, default=4)
    ap.add_argument("--soak", type=float, default=0, help="minutes of faults (overrides --faults)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--network", dest="network", action="store_true", default=None,
                    help="namespaces and network partitions (default: when root)")
    ap.add_argument("--no-network", dest="network", action="store_false")
    ap.add_argument("--kinds", default="", help="comma-separated fault kinds to draw from (default: all)")
    ap.add_argument("--replication-transport", choices=["tcp", "dpdk"], default="tcp",
                    help="the brokers' replication network (dpdk: af_packet with --network, else memif)")
    ap.add_argument("--disk-mb", type=int, default=None,
                    help="each broker's data on a tmpfs of this size, with full-disk faults "
                         "(default when root: 256, or 64 + 20 per soak minute; 0: off)")
    args = ap.parse_args()
    # A terminated harness still stops its processes and removes its namespaces.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    started = time.time()

    def log(msg):
        print(f"[{time.time() - started:7.1f}s] {msg}", flush=True)

    if args.network is None:
        args.network = netns.available()
    if args.disk_mb is None:
        # The log grows a few MiB a minute; a soak gets room for all of it.
        args.disk_mb = max(256, 64 + 20 * int(args.soak)) if os.geteuid() == 0 else 0
    kinds = PROCESS_FAULTS + (NETWORK_FAULTS if args.network else []) + (DISK_FAULTS if args.disk_mb else [])
    if args.kinds:
        unknown = set(args.kinds.split(",")) - set(kinds)
        if unknown:
            print(f"unknown or unavailable fault kinds: {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        kinds = args.kinds.split(",")
    log(f"seed {seed} (replay: chaos.py --seed {seed} --faults {args.faults}"
        f"{' --soak ' + str(args.soak) if args.soak else ''}"
        f" {'--network' if args.network else '--no-network'} --disk-mb {args.disk_mb}"
        f"{' --kinds ' + args.kinds if args.kinds else ''}"
        f" --replication-transport {args.replication_transport})")
    log(f"fault kinds: {', '.join(kinds)}")
    broker_extra = ["--replica.lag.time.max.ms=3000", "--heartbeat.interval.ms=200"]
    if args.disk_mb:
        broker_extra.append("--log.preallocate.bytes=1048576")
    network = netns.Network(Cluster.node_names(3), seed) if args.network else None
    dpdk_settings = None
    if args.replication_transport == "dpdk":
        dpdk_settings = af_packet_settings(3) if network is not None else memif_settings(3)
    cluster = Cluster(controller_extra=["--session.timeout.ms=3000", "--leader.imbalance.check.interval.ms=1000"],
                      broker_extra=broker_extra, network=network, broker_extra_for=dpdk_settings)
    cluster.dpdk = dpdk_settings is not None
    Cluster.all_bootstrap = property(lambda c: ",".join(b.bootstrap for b in c.brokers))
    disks = {}
    report = None
    try:
        if network is not None:
            network.create()
            log(f"network: {network.subnet}, namespaces {network.tag}-*")
        if args.disk_mb:
            for b in cluster.brokers:
                disks[b.broker_id] = small_disk.SmallDisk(os.path.join(b.data_dir, "data"), args.disk_mb).mount()
        cluster.start()
        topic = f"chaos-{seed}"
        admin = AdminClient({"bootstrap.servers": cluster.all_bootstrap})
        admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=3,
                                      config={"min.insync.replicas": "2"})])[topic].result(30)
        admin.create_topics([NewTopic(f"{topic}-tx", num_partitions=TXN_PARTITIONS, replication_factor=3,
                                      config={"min.insync.replicas": "2"})])[f"{topic}-tx"].result(30)
        time.sleep(2)
        workload = Workload(cluster, topic)
        workload.start()
        transactions = TxnWorkload(cluster, f"{topic}-tx", seed)
        transactions.thread.start()
        reader = GroupReader(cluster, topic)
        reader.thread.start()
        time.sleep(3)
        deadline = time.time() + args.soak * 60 if args.soak else None
        n = 0
        kinds_in_order = schedule(rng, kinds)
        while (deadline is None and n < args.faults) or (deadline is not None and time.time() < deadline):
            inject(next(kinds_in_order), rng, cluster, topic, log, disks)
            n += 1
            if n % 2 == 0:
                reader.restart.set()
                log("group reader restarted (closed without committing)")
        log(f"{n} faults injected; healing")
        if network is not None:
            for node in network.nodes:
                network.heal(node)
        for disk in disks.values():
            disk.release()
        for b in cluster.brokers:
            if b.proc.poll() is not None:
                b.start()
        time.sleep(5)
        workload.finish()
        transactions.finish()
        log(f"workload stopped: {workload.sent} sent, {len(workload.acked)} acknowledged, "
            f"{len(transactions.outcomes)} transactions")
        first = read_all(cluster.all_bootstrap, topic)
        second = read_all(cluster.all_bootstrap, topic)
        reader.wait_for(list(workload.acked), 90)
        reader.finish()
        report = check(workload, first, second)
        report.update(reader.report(workload.acked))
        report.update(transactions.check(cluster.all_bootstrap))
        report["ok"] = report["ok"] and report["group_skipped"] == 0 and report["txn_ok"]
        report.update({"seed": seed, "faults": n, "fault_kinds": kinds,
                       "duration_s": round(time.time() - started, 1)})
    finally:
        for b in cluster.brokers:
            if b.proc and b.proc.poll() is None:
                b.proc.send_signal(signal.SIGCONT)
        cluster.stop()
        for disk in disks.values():
            disk.unmount()
        if network is not None:
            network.remove()
    print(json.dumps(report) if args.json else json.dumps(report, indent=2))
    ok = report is not None and report["ok"]
    if not ok:
        print(f"FAILED: seed {seed}; the end of each process's log:\n{cluster.logs()}", file=sys.stderr)
    cluster.cleanup()  # RILL_KEEP_TEST_DATA=1 keeps it
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
