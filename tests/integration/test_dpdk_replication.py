"""Replication over the DPDK transport (replication.transport=dpdk), judged
by real clients: librdkafka (confluent_kafka) and kafka-python (pure Python).

- memif: three brokers, a net_memif link between each pair (DPDK without
  hugepages: --no-huge --no-pci), two shards each so fetchers on shard 1 go
  through shard 0's port. acks=all RF=3 produce of mixed sizes, consume and
  compare; kill -9 of a leader under load loses no acknowledged record, and
  the restarted broker rejoins every ISR over its re-established links.
- af_packet: the brokers in network namespaces on a bridge, replication on
  net_af_packet over each namespace's veth, while the bridge drops 2 % of
  the replication frames (nftables; this kernel has no netem): slower, never
  corrupt, and the brokers report retransmissions.

Skipped when the binary was built without DPDK (it says so) or, for the
af_packet case, when namespaces cannot be made (not root).
"""
import os
import subprocess
import sys
import threading
import time
import unittest
import urllib.request

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from kafka import KafkaConsumer, KafkaProducer
from kafka import TopicPartition as KafkaTopicPartition

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../fault"))
import netns  # noqa: E402
from rill_cluster import Cluster, af_packet_settings, dpdk_built, free_port, memif_settings  # noqa: E402
from test_kafka_clients import consume_all  # noqa: E402

SIZES = [10, 1000, 100_000, 10, 700_000, 50, 16_384, 1_448, 1_449, 250_000]


def value_of(seq, size):
    head = f"{seq:08d}:".encode()
    return (head * (size // len(head) + 1))[:max(size, len(head))]


def create_topic(bootstrap, name, partitions):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(name, partitions, 3, config={"min.insync.replicas": "2"})])
    for f in futures.values():
        f.result(30)


def isr_sizes(bootstrap, topic):
    md = AdminClient({"bootstrap.servers": bootstrap}).list_topics(topic, timeout=10)
    return {p: len(m.isrs) for p, m in md.topics[topic].partitions.items()}


def wait_full_isr(test, bootstrap, topic, timeout_s=60):
    deadline = time.time() + timeout_s
    sizes = {}
    while time.time() < deadline:
        try:
            sizes = isr_sizes(bootstrap, topic)
            if sizes and all(n == 3 for n in sizes.values()):
                return
        except Exception:  # noqa: BLE001 - a broker may be restarting
            pass
        time.sleep(0.5)
    test.fail(f"ISR of {topic} not back to 3 replicas: {sizes}")


class Acked:
    """Delivery reports of an acks=all idempotent producer: what was acknowledged."""

    def __init__(self, bootstrap):
        self.records = []  # (partition, offset, value)
        self.errors = []
        self.producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
                                  "linger.ms": 2, "message.timeout.ms": 60000,
                                  "max.in.flight.requests.per.connection": 5})

    def on_delivery(self, err, msg):
        if err is None:
            self.records.append((msg.partition(), msg.offset(), msg.value()))
        else:
            self.errors.append(err)

    def produce(self, topic, seq):
        self.producer.produce(topic, value=value_of(seq, SIZES[seq % len(SIZES)]), key=str(seq).encode(),
                              on_delivery=self.on_delivery)
        self.producer.poll(0)


def consume_everything(bootstrap, topic, partitions, expected, timeout_s=90):
    """{partition: [(offset, value)]} read from offset 0 of every partition."""
    got = {}
    for m in consume_all(bootstrap, topic, range(partitions), expected, timeout_s=timeout_s,
                         **{"group.id": f"check-{topic}"}):
        got.setdefault(m.partition(), []).append((m.offset(), m.value()))
    return got


def check_acked_present_in_order(test, acked, got):
    by_place = {(p, o): v for p, rows in got.items() for o, v in rows}
    for p, o, v in acked:
        test.assertEqual(by_place.get((p, o)), v, f"acknowledged record at {p}/{o} lost or changed")
    for p, rows in got.items():
        offsets = [o for o, _ in rows]
        test.assertEqual(offsets, sorted(set(offsets)), f"partition {p}: offsets out of order or repeated")
        seqs = [int(v[:8]) for _, v in rows]
        test.assertEqual(seqs, sorted(seqs), f"partition {p}: records out of the order they were sent")


def stop_summaries(cluster):
    return [line for b in cluster.brokers for line in b.log_text().splitlines()
            if "replication transport dpdk at stop" in line]


@unittest.skipUnless(dpdk_built(), "this rill was built without DPDK")
class MemifReplicationTest(unittest.TestCase):
    def test_acks_all_over_memif_with_two_client_libraries(self):
        admin_ports = {i: free_port() for i in (1, 2, 3)}

        def settings(i, root):
            return memif_settings(3)(i, root) + [f"--admin.port={admin_ports[i]}"]
        with Cluster(3, broker_extra=["--replica.lag.time.max.ms=10000"],
                     broker_extra_for=settings) as cluster:
            for b in cluster.brokers:
                self.assertIn("replication transport: dpdk", b.log_text())
            create_topic(cluster.bootstrap, "memif", 3)
            acked = Acked(cluster.bootstrap)
            for seq in range(400):
                acked.produce("memif", seq)
            self.assertEqual(acked.producer.flush(60), 0)
            self.assertEqual(acked.errors, [])
            # The pure-Python client, its own batches and framing.
            kp = KafkaProducer(bootstrap_servers=cluster.bootstrap, acks="all", max_request_size=2_000_000)
            futures = [kp.send("memif", value=value_of(1000 + i, SIZES[i % len(SIZES)]), partition=i % 3)
                       for i in range(60)]
            kp.flush(60)
            python_acked = [(f.get(30).partition, f.get(30).offset, value_of(1000 + i, SIZES[i % len(SIZES)]))
                            for i, f in enumerate(futures)]
            kp.close()
            wait_full_isr(self, cluster.bootstrap, "memif")
            got = consume_everything(cluster.bootstrap, "memif", 3, 460)
            check_acked_present_in_order(self, acked.records + python_acked, got)
            kc = KafkaConsumer(bootstrap_servers=cluster.bootstrap, auto_offset_reset="earliest",
                               consumer_timeout_ms=10000, fetch_max_bytes=4_000_000,
                               max_partition_fetch_bytes=2_000_000)
            kc.assign([KafkaTopicPartition("memif", p) for p in range(3)])
            kc.seek_to_beginning()
            python_got = sum(1 for _ in kc)
            kc.close()
            self.assertEqual(python_got, 460)
            # /metrics: the transport's counters, from every broker.
            for i, port in admin_ports.items():
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
                    text = r.read().decode()
                sent = [line for line in text.splitlines()
                        if line.startswith('rill_replication_dpdk_bytes_total{kind="sent"}')]
                self.assertEqual(len(sent), 1, text[-2000:])
                self.assertGreater(float(sent[0].split()[-1]), 1_000_000, f"broker {i}: {sent}")
            cluster.stop()
            summaries = stop_summaries(cluster)
            self.assertEqual(len(summaries), 3, cluster.logs())
            for line in summaries:
                sent = int(line.split("at stop: ")[1].split(" bytes sent")[0])
                self.assertGreater(sent, 1_000_000, line)

    def test_kill9_of_a_leader_loses_no_acknowledged_record(self):
        with Cluster(3, broker_extra=["--replica.lag.time.max.ms=5000"],
                     broker_extra_for=memif_settings(3)) as cluster:
            create_topic(cluster.bootstrap, "failover", 3)
            wait_full_isr(self, cluster.bootstrap, "failover")
            md = AdminClient({"bootstrap.servers": cluster.bootstrap}).list_topics("failover", timeout=10)
            victim_id = md.topics["failover"].partitions[0].leader
            victim = cluster.brokers[victim_id - 1]
            acked = Acked(",".join(b.bootstrap for b in cluster.brokers))
            stop = threading.Event()

            def load():
                seq = 0
                while not stop.is_set():
                    acked.produce("failover", seq)
                    seq += 1
                    time.sleep(0.002)
            t = threading.Thread(target=load)
            t.start()
            time.sleep(3)
            victim.kill9()
            time.sleep(5)
            stop.set()
            t.join()
            self.assertEqual(acked.producer.flush(90), 0)
            self.assertGreater(len(acked.records), 100)
            got = consume_everything(cluster.bootstrap, "failover", 3, len(acked.records))
            check_acked_present_in_order(self, acked.records, got)
            # The victim comes back; memif links are re-established and it
            # catches up into every ISR over DPDK.
            victim.start()
            wait_full_isr(self, cluster.bootstrap, "failover", timeout_s=90)


@unittest.skipUnless(dpdk_built(), "this rill was built without DPDK")
@unittest.skipUnless(netns.available(), "needs root for network namespaces")
class AfPacketLossTest(unittest.TestCase):
    def test_two_percent_frame_loss_slows_but_never_corrupts(self):
        net = netns.Network(Cluster.node_names(3)).create()
        try:
            hub = ["ip", "netns", "exec", net.hub, "nft"]
            subprocess.run(hub + ["add", "table", "bridge", "rill"], check=True)
            subprocess.run(hub + ["add", "chain", "bridge", "rill", "lossy",
                                  "{ type filter hook forward priority 0; }"], check=True)
            subprocess.run(hub + ["add", "rule", "bridge", "rill", "lossy", "ether", "type", "0x88b5",
                                  "numgen", "random", "mod", "1000", "<", "20", "drop"], check=True)
            with Cluster(3, network=net, broker_extra=["--replica.lag.time.max.ms=10000"],
                         broker_extra_for=af_packet_settings(3)) as cluster:
                create_topic(cluster.bootstrap, "lossy", 3)
                acked = Acked(cluster.bootstrap)
                for seq in range(300):
                    acked.produce("lossy", seq)
                self.assertEqual(acked.producer.flush(120), 0)
                self.assertEqual(acked.errors, [])
                wait_full_isr(self, cluster.bootstrap, "lossy")
                got = consume_everything(cluster.bootstrap, "lossy", 3, 300)
                check_acked_present_in_order(self, acked.records, got)
                drops = subprocess.run(hub + ["list", "ruleset"], capture_output=True, text=True).stdout
                cluster.stop()
                summaries = stop_summaries(cluster)
                self.assertEqual(len(summaries), 3, cluster.logs())
                retransmitted = sum(int(line.split("retransmitted in ")[1].split(" segments")[0])
                                    for line in summaries)
                self.assertGreater(retransmitted, 0, "\n".join(summaries) + drops)
                for line in summaries:
                    self.assertIn(" 0 invalid segments", line)
        finally:
            net.remove()


if __name__ == "__main__":
    unittest.main()
