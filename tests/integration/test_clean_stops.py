"""Clean stops under load: SIGTERM and SIGINT end every process of a loaded
3-broker cluster with exit code 0 and no assertion, round after round.

Each round starts a cluster, creates an RF=3 topic, runs acks=all and acks=1
producers and a consumer against it, and stops the processes while the load
runs. Even rounds stop one broker alone (controlled shutdown while the
others lead), then the other two together; odd rounds stop every process at
once, the controller too, as `rill dev stop` does. SIGTERM and SIGINT
alternate. RILL_STOP_ROUNDS sets the
number of rounds (default 2; the closing evidence uses 20).
"""
import os
import signal
import sys
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from rill_cluster import Cluster  # noqa: E402

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

BAD_LOG_LINES = ("assertion", "AddressSanitizer", "terminate called", "Segmentation", "FATAL")


class Load:
    """Producers and a consumer that run until stop(); errors are expected once brokers go."""

    def __init__(self, bootstrap, topic, partitions):
        self.bootstrap, self.topic, self.partitions = bootstrap, topic, partitions
        self.done = threading.Event()
        self.acked = 0
        self.threads = [threading.Thread(target=self.produce, args=(acks,)) for acks in ("all", "1")]
        self.threads.append(threading.Thread(target=self.consume))

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def produce(self, acks):
        p = Producer({"bootstrap.servers": self.bootstrap, "acks": acks, "linger.ms": 2,
                      "message.timeout.ms": 5000, "log_level": 0})

        def on_delivery(err, _msg):
            if err is None:
                self.acked += 1

        i = 0
        while not self.done.is_set():
            try:
                p.produce(self.topic, value=b"v" * (10 + (i * 7919) % 30000), partition=i % self.partitions,
                          on_delivery=on_delivery)
            except BufferError:
                p.poll(0.05)
            p.poll(0)
            i += 1
            if i % 200 == 0:
                time.sleep(0.005)
        p.flush(2)

    def consume(self):
        c = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "stop-test", "log_level": 0,
                      "enable.auto.commit": False})
        c.assign([TopicPartition(self.topic, p, 0) for p in range(self.partitions)])
        while not self.done.is_set():
            c.consume(200, timeout=0.2)
        c.close()

    def stop(self):
        self.done.set()
        for t in self.threads:
            t.join(30)


class CleanStopTest(unittest.TestCase):
    def run_round(self, n):
        sig_first = signal.SIGTERM if n % 2 == 0 else signal.SIGINT
        sig_rest = signal.SIGINT if n % 2 == 0 else signal.SIGTERM
        cluster = Cluster(brokers=3, broker_extra=["--shards=2"]).start()
        try:
            topic = f"stops-{uuid.uuid4().hex[:8]}"
            admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
            admin.create_topics([NewTopic(topic, num_partitions=6, replication_factor=3,
                                          config={"min.insync.replicas": "2"})])[topic].result(30)
            load = Load(cluster.bootstrap, topic, 6).start()
            time.sleep(2.0)
            codes = {}
            if n % 2 == 0:
                # One broker alone (the controller moves its leaderships while
                # the others serve), then the other two together.
                first = cluster.brokers[(n // 2) % 3]
                codes[f"broker {first.broker_id}"] = first.stop(sig_first)
                time.sleep(1.0)
                rest = [b for b in cluster.brokers if b is not first]
            else:
                rest = list(cluster.brokers)  # everything at once, as `rill dev stop` does
            everyone = rest + ([cluster.controller] if n % 2 == 1 else [])
            for p in everyone:
                p.proc.send_signal(sig_rest)
            for p in everyone:
                name = "controller" if p is cluster.controller else f"broker {p.broker_id}"
                codes[name] = p.stop(sig_rest)
            load.stop()
            if "controller" not in codes:
                codes["controller"] = cluster.controller.stop(sig_rest)
            logs = cluster.logs()
            print(f"\n  round {n}: {load.acked} records acknowledged, exit codes {codes}", file=sys.stderr)
            self.assertEqual(set(codes.values()), {0}, f"round {n}: exit codes {codes}\n{logs}")
            for p in [cluster.controller] + cluster.brokers:
                text = p.log_text()
                for bad in BAD_LOG_LINES:
                    self.assertNotIn(bad, text, f"round {n}: {p.log_path} says {bad}\n{text[-4000:]}")
                self.assertIn("stopped", text.splitlines()[-1], f"round {n}: {p.log_path} did not end cleanly")
        finally:
            cluster.stop()
            cluster.cleanup()

    def test_loaded_clusters_stop_with_exit_code_0_and_no_assertion(self):
        for n in range(int(os.environ.get("RILL_STOP_ROUNDS", "2"))):
            self.run_round(n)


if __name__ == "__main__":
    unittest.main()
