"""Consumer groups with real clients: librdkafka (confluent-kafka), the pure
Python kafka-python and kcat -G. Members split a topic's partitions without
overlap, a member that leaves or is killed hands its partitions over within
the session timeout, committed offsets are honoured by the next member,
across client implementations, and survive kill -9 of the coordinator's
broker. kafkajs groups are in test_kafkajs.py."""
import json
import os
import signal
import subprocess
import sys
import time
import unittest
import uuid

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

sys.path.insert(0, os.path.dirname(__file__))
from kafka_wire_groups import GroupClient  # noqa: E402
from rill_cluster import RILL, Broker, Cluster  # noqa: E402
from test_cluster import wait_until  # noqa: E402

SESSION_MS = 6000  # the broker's smallest session timeout
GROUP_BROKER = ["--group.initial.rebalance.delay.ms=0"]


def partition_state(admin, topic, partition=0):
    """(leader, isr) of a partition, or (-1, []) while no broker answers
    (one just died: a metadata request to it times out)."""
    try:
        p = admin.list_topics(topic, timeout=5).topics[topic].partitions[partition]
        return p.leader, list(p.isrs)
    except Exception:  # KafkaException: timed out, or the topic is not there yet
        return -1, []


def broker_count(admin):
    """Brokers the cluster lists, or 0 while none answers yet."""
    try:
        return len(admin.list_topics(timeout=5).brokers)
    except Exception:  # KafkaException: timed out while the brokers start
        return 0


def create_topic(bootstrap, name, partitions, rf=1):
    admin = AdminClient({"bootstrap.servers": bootstrap})  # alive until the result is in
    admin.create_topics([NewTopic(name, partitions, rf)])[name].result(30)


def produce(bootstrap, topic, n, partitions):
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5})
    for i in range(n):
        p.produce(topic, key=str(i), value=f"v{i}", partition=i % partitions)
    assert p.flush(30) == 0


def group_consumer(bootstrap, group, **extra):
    return Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                     "auto.offset.reset": "earliest", "enable.auto.commit": False,
                     "session.timeout.ms": SESSION_MS, "heartbeat.interval.ms": 500,
                     "fetch.wait.max.ms": 100, **extra})


class Member:
    """A subscribed librdkafka consumer and what it has read."""

    def __init__(self, bootstrap, group, topic, **extra):
        self.consumer = group_consumer(bootstrap, group, **extra)
        self.consumer.subscribe([topic])
        self.records = []  # (partition, offset, value)

    def poll(self, timeout_s=0.1):
        m = self.consumer.poll(timeout_s)
        if m is not None and not m.error():
            self.records.append((m.partition(), m.offset(), m.value().decode()))
        elif m is not None and m.error().code() != KafkaError._PARTITION_EOF:
            raise AssertionError(f"consumer error: {m.error()}")

    def partitions(self):
        return {tp.partition for tp in self.consumer.assignment()}


def poll_until(members, cond, timeout_s=30, what="condition"):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        for m in members:
            m.poll()
        if cond():
            return
    raise AssertionError(f"timed out waiting for {what}: " +
                         ", ".join(str(sorted(m.partitions())) for m in members))


class LibrdkafkaGroupTest(unittest.TestCase):
    def test_members_split_partitions_consume_once_and_hand_over_on_leave(self):
        self.split_and_hand_over("range,roundrobin")

    def test_cooperative_sticky_members_split_and_hand_over(self):
        # Incremental rebalancing (KIP-429): the assignor and the protocol's
        # second join are the client's; the broker passes them through.
        self.split_and_hand_over("cooperative-sticky")

    def split_and_hand_over(self, strategy):
        with Broker(extra=GROUP_BROKER) as b:
            topic, group = f"split-{uuid.uuid4().hex[:6]}", f"g-{uuid.uuid4().hex[:6]}"
            create_topic(b.bootstrap, topic, 6)
            settings = {"partition.assignment.strategy": strategy}
            a, c = Member(b.bootstrap, group, topic, **settings), Member(b.bootstrap, group, topic, **settings)
            poll_until([a, c], lambda: a.partitions() and c.partitions() and
                       a.partitions() | c.partitions() == set(range(6)), what="a split")
            self.assertFalse(a.partitions() & c.partitions(), "a partition has two owners")
            produce(b.bootstrap, topic, 600, 6)
            poll_until([a, c], lambda: len(a.records) + len(c.records) == 600, what="600 records")
            for m in (a, c):
                self.assertTrue({r[0] for r in m.records} <= m.partitions())
            seen = [(r[0], r[1]) for r in a.records + c.records]
            self.assertEqual(len(seen), len(set(seen)), "a record was consumed twice")
            self.assertEqual(sorted(int(r[2][1:]) for r in a.records + c.records), list(range(600)))
            left = time.time()
            c.consumer.close()
            poll_until([a], lambda: a.partitions() == set(range(6)), what="a takes over")
            print(f"\n{strategy}: hand-over after a LeaveGroup: {time.time() - left:.2f} s",
                  file=sys.stderr)
            a.consumer.close()

    def test_a_killed_member_hands_over_within_the_session_timeout(self):
        with Broker(extra=GROUP_BROKER) as b:
            topic, group = f"kill-{uuid.uuid4().hex[:6]}", f"g-{uuid.uuid4().hex[:6]}"
            create_topic(b.bootstrap, topic, 4)
            script = (
                "import sys, time\n"
                "from confluent_kafka import Consumer\n"
                f"c = Consumer({{'bootstrap.servers': '{b.bootstrap}', 'group.id': '{group}',"
                f" 'session.timeout.ms': {SESSION_MS}, 'heartbeat.interval.ms': 500}})\n"
                f"c.subscribe(['{topic}'])\n"
                "while True:\n"
                "    c.poll(0.1)\n"
                "    if c.assignment():\n"
                "        print('assigned', flush=True)\n")
            other = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
            try:
                a = Member(b.bootstrap, group, topic)
                poll_until([a], lambda: a.partitions() and len(a.partitions()) < 4,
                           what="a split with the other process", timeout_s=40)
                other.send_signal(signal.SIGKILL)
                other.wait()
                killed = time.time()
                poll_until([a], lambda: a.partitions() == set(range(4)), what="a takes over")
                took = time.time() - killed
                print(f"\nhand-over after kill -9 of a member: {took:.2f} s", file=sys.stderr)
                self.assertLess(took, SESSION_MS / 1000 + 5)
                a.consumer.close()
            finally:
                if other.poll() is None:
                    other.kill()
                    other.wait()

    def test_a_new_member_resumes_from_the_committed_offsets(self):
        with Broker(extra=GROUP_BROKER) as b:
            topic, group = f"resume-{uuid.uuid4().hex[:6]}", f"g-{uuid.uuid4().hex[:6]}"
            create_topic(b.bootstrap, topic, 3)
            produce(b.bootstrap, topic, 600, 3)
            first = Member(b.bootstrap, group, topic, **{"enable.auto.offset.store": True})
            poll_until([first], lambda: len(first.records) >= 300, what="300 records")
            first.consumer.commit(asynchronous=False)
            committed = first.consumer.committed([TopicPartition(topic, p) for p in range(3)], 10)
            done = {(r[0], r[1]) for r in first.records}
            # Partitions it read nothing from have no commit (OFFSET_INVALID).
            self.assertEqual(sum(max(tp.offset, 0) for tp in committed), len(done))
            first.consumer.close()
            second = Member(b.bootstrap, group, topic)
            poll_until([second], lambda: len(second.records) >= 600 - len(done),
                       what="the rest of the records")
            time.sleep(1)
            second.poll(0.5)
            again = {(r[0], r[1]) for r in second.records}
            self.assertFalse(done & again, "committed records were delivered again")
            self.assertEqual(len(done) + len(again), 600)
            second.consumer.close()


class KafkaPythonGroupTest(unittest.TestCase):
    """kafka-python: its own group client and admin, and librdkafka reads its commits."""

    def test_kafka_python_joins_commits_and_administers_groups(self):
        from kafka import KafkaAdminClient, KafkaConsumer
        with Broker(extra=GROUP_BROKER) as b:
            topic, group = f"kp-{uuid.uuid4().hex[:6]}", f"g-{uuid.uuid4().hex[:6]}"
            create_topic(b.bootstrap, topic, 2)
            produce(b.bootstrap, topic, 200, 2)
            consumer = KafkaConsumer(topic, bootstrap_servers=b.bootstrap, group_id=group,
                                     auto_offset_reset="earliest", enable_auto_commit=False,
                                     session_timeout_ms=SESSION_MS, heartbeat_interval_ms=1000,
                                     consumer_timeout_ms=20000)
            values = []
            for m in consumer:
                values.append(m.value.decode())
                if len(values) == 150:
                    break
            consumer.commit()
            admin = KafkaAdminClient(bootstrap_servers=b.bootstrap)
            self.assertIn((group, "consumer"), admin.list_consumer_groups())
            (described,) = admin.describe_consumer_groups([group])
            self.assertEqual((described.state, described.protocol_type), ("Stable", "consumer"))
            self.assertEqual(len(described.members), 1)
            offsets = admin.list_consumer_group_offsets(group)
            self.assertEqual(sum(o.offset for o in offsets.values()), 150)
            consumer.close()  # LeaveGroup: the group is Empty and keeps its offsets
            rk = group_consumer(b.bootstrap, group)
            committed = rk.committed([TopicPartition(topic, 0), TopicPartition(topic, 1)], 10)
            self.assertEqual(sum(tp.offset for tp in committed), 150)
            rk.close()
            from kafka.errors import NoError
            self.assertEqual(dict(admin.delete_consumer_groups([group])), {group: NoError})
            self.assertNotIn(group, [g for g, _ in admin.list_consumer_groups()])
            admin.close()


class KcatGroupTest(unittest.TestCase):
    def test_kcat_balanced_consumer_reads_the_topic(self):
        with Broker(extra=GROUP_BROKER) as b:
            topic, group = f"kcat-{uuid.uuid4().hex[:6]}", f"g-{uuid.uuid4().hex[:6]}"
            create_topic(b.bootstrap, topic, 3)
            produce(b.bootstrap, topic, 90, 3)
            r = subprocess.run(["kcat", "-b", b.bootstrap, "-G", group, "-o", "beginning", "-c", "90",
                                "-f", "%p:%o:%s\n", "-X", "session.timeout.ms=6000", topic],
                               capture_output=True, timeout=90)
            self.assertEqual(r.returncode, 0, r.stderr.decode()[-2000:])
            lines = r.stdout.decode().split()
            self.assertEqual(sorted(int(l.split(":")[2][1:]) for l in lines), list(range(90)))


class CompactedOffsetsTest(unittest.TestCase):
    def test_commits_survive_compaction_of_the_offsets_topic_and_a_restart(self):
        extra = GROUP_BROKER + ["--offsets.topic.num.partitions=1", "--offsets.topic.segment.bytes=65536",
                                "--log.cleaner.backoff.ms=200"]
        with Broker(extra=extra) as b:
            topic, group = f"oc-{uuid.uuid4().hex[:6]}", f"g-{uuid.uuid4().hex[:6]}"
            create_topic(b.bootstrap, topic, 10)
            c = group_consumer(b.bootstrap, group)
            for i in range(1, 1201):
                c.commit(offsets=[TopicPartition(topic, p, i + p) for p in range(10)], asynchronous=False)
            c.close()
            wait_until(lambda: "__consumer_offsets-0: compacted" in b.log_text(), timeout_s=30,
                       what="the offsets topic compacted")
            b.stop()
            b.start()
            c = group_consumer(b.bootstrap, group)
            committed = c.committed([TopicPartition(topic, p) for p in range(10)], 30)
            self.assertEqual([tp.offset for tp in committed], [1200 + p for p in range(10)])
            c.close()
            loaded = [line for line in b.log_text().splitlines() if "__consumer_offsets-0 loaded" in line]
            self.assertTrue(loaded, "the coordinator loaded its partition after the restart")
            print(f"\n{loaded[-1].split('group: ')[-1]}", file=sys.stderr)


class GroupsCommandTest(unittest.TestCase):
    """`rill groups`: what kafka-consumer-groups.sh shows and does."""

    def rill_groups(self, b, *args):
        r = subprocess.run([RILL, "groups", *args, f"--bootstrap={b.bootstrap}"], capture_output=True,
                           timeout=60)
        return r.returncode, r.stdout.decode(), r.stderr.decode()

    def test_list_describe_reset_and_delete(self):
        with Broker(extra=GROUP_BROKER) as b:
            topic, group = f"cli-{uuid.uuid4().hex[:6]}", f"g-{uuid.uuid4().hex[:6]}"
            create_topic(b.bootstrap, topic, 2)
            produce(b.bootstrap, topic, 100, 2)
            m = Member(b.bootstrap, group, topic, **{"client.id": "cli-test"})
            poll_until([m], lambda: len(m.records) >= 100, what="100 records")
            m.consumer.commit(asynchronous=False)
            code, out, err = self.rill_groups(b, "list", "--json")
            self.assertEqual(code, 0, err)
            self.assertIn({"group": group, "state": "Stable"}, json.loads(out)["groups"])
            code, out, err = self.rill_groups(b, "describe", f"--group={group}", "--json")
            self.assertEqual(code, 0, err)
            described = json.loads(out)
            self.assertEqual(described["state"], "Stable")
            rows = {r["partition"]: r for r in described["partitions"]}
            self.assertEqual(sorted(rows), [0, 1])
            for r in rows.values():
                self.assertEqual((r["current_offset"], r["log_end_offset"], r["lag"]), (50, 50, 0))
                self.assertEqual((r["client_id"], r["host"]), ("cli-test", "/127.0.0.1"))
            code, _, err = self.rill_groups(b, "reset-offsets", f"--group={group}", f"--topic={topic}",
                                            "--to-earliest", "--execute")
            self.assertEqual(code, 1)
            self.assertIn("Stable", err)
            code, _, err = self.rill_groups(b, "delete", f"--group={group}")
            self.assertEqual(code, 1)
            self.assertIn("not empty", err.lower())
            m.consumer.close()
            code, out, _ = self.rill_groups(b, "reset-offsets", f"--group={group}", f"--topic={topic}",
                                            "--to-offset=20", "--json")
            self.assertEqual(json.loads(out)["executed"], False)
            code, out, _ = self.rill_groups(b, "describe", f"--group={group}", "--json")
            self.assertEqual({r["current_offset"] for r in json.loads(out)["partitions"]}, {50},
                             "a dry run changes nothing")
            code, _, err = self.rill_groups(b, "reset-offsets", f"--group={group}", f"--topic={topic}",
                                            "--to-offset=20", "--execute")
            self.assertEqual(code, 0, err)
            code, out, _ = self.rill_groups(b, "describe", f"--group={group}", "--json")
            described = json.loads(out)
            self.assertEqual(described["state"], "Empty")
            self.assertEqual({(r["current_offset"], r["lag"], r["consumer_id"])
                              for r in described["partitions"]}, {(20, 30, "-")})
            again = Member(b.bootstrap, group, topic)
            poll_until([again], lambda: len(again.records) >= 60, what="the 60 records after the reset")
            self.assertEqual(sorted({r[1] for r in again.records}), list(range(20, 50)))
            again.consumer.close()
            code, out, err = self.rill_groups(b, "delete", f"--group={group}")
            self.assertEqual(code, 0, err)
            code, out, _ = self.rill_groups(b, "list", "--json")
            self.assertNotIn(group, [g["group"] for g in json.loads(out)["groups"]])


class CoordinatorFailoverTest(unittest.TestCase):
    def test_commits_survive_kill_9_of_the_coordinators_broker(self):
        cluster = Cluster(controller_extra=["--session.timeout.ms=3000"],
                          broker_extra=["--heartbeat.interval.ms=100", *GROUP_BROKER]).start()
        try:
            admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
            wait_until(lambda: broker_count(admin) == 3, what="3 brokers")
            topic, group = f"fail-{uuid.uuid4().hex[:6]}", f"g-{uuid.uuid4().hex[:6]}"
            create_topic(cluster.bootstrap, topic, 3, rf=3)
            produce(cluster.bootstrap, topic, 300, 3)
            first = Member(cluster.bootstrap, group, topic)
            poll_until([first], lambda: len(first.records) >= 150, what="150 records")
            first.consumer.commit(asynchronous=False)
            done = {(r[0], r[1]) for r in first.records}
            first.consumer.close()
            b1 = cluster.brokers[0]
            wire = GroupClient("127.0.0.1", b1.port)
            coordinator = wire.find_coordinators([group])[0]["node_id"]
            wire.close()
            self.assertIn(coordinator, (1, 2, 3))
            cluster.brokers[coordinator - 1].kill9()
            killed = time.time()
            second = Member(cluster.bootstrap, group, topic)
            poll_until([second], lambda: len(second.records) >= 300 - len(done), timeout_s=60,
                       what="the rest after the coordinator died")
            print(f"\nresumed from commits {time.time() - killed:.2f} s after kill -9 of the "
                  f"coordinator (broker {coordinator})", file=sys.stderr)
            again = {(r[0], r[1]) for r in second.records}
            self.assertFalse(done & again, "committed records were delivered again")
            self.assertEqual(len(done | again), 300)
            second.consumer.close()
        finally:
            cluster.stop()
            cluster.cleanup()


if __name__ == "__main__":
    unittest.main()
