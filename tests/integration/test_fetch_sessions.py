"""Incremental fetch sessions (KIP-227) on the wire, as Kafka's Java consumer
uses them (no client library on this machine speaks them: librdkafka 2.0.2
and kafkajs always fetch without a session, and their tests keep passing).

A session opens with epoch 0, answers with an id, then carries only what
changed: the request names only partitions whose position moved, the answer
only partitions with news. A consumer following the protocol reads every
record produced to three partitions exactly once, in order; wrong epochs and
unknown ids get their errors; epoch -1 closes the session.

Fetch v12 is written here from the protocol guide, independent of Rill's
codec."""
import os
import sys
import unittest
import uuid

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

sys.path.insert(0, os.path.dirname(__file__))
from kafka_wire_fetch import (FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH,  # noqa: E402
                              batches, fetch)
from kafka_wire_groups import GroupClient  # noqa: E402
from rill_cluster import Broker  # noqa: E402


class FetchSessionTest(unittest.TestCase):
    def test_a_session_consumer_reads_everything_once_and_errors_are_kafkas(self):
        with Broker() as b:
            topic = f"sessions-{uuid.uuid4().hex[:6]}"
            admin = AdminClient({"bootstrap.servers": b.bootstrap})
            admin.create_topics([NewTopic(topic, 3, 1)])[topic].result(30)
            producer = Producer({"bootstrap.servers": b.bootstrap, "linger.ms": 0})
            client = GroupClient("127.0.0.1", b.port)
            try:
                # Open: every partition named, all answered, an id given.
                error, sid, parts = fetch(client, 0, 0, {0: 0, 1: 0, 2: 0}, topic=topic)
                self.assertEqual(error, 0)
                self.assertNotEqual(sid, 0)
                self.assertEqual(sorted(parts), [0, 1, 2])
                epoch = 1
                # Nothing changed: an incremental request naming nothing gets nothing.
                error, same, parts = fetch(client, sid, epoch, {}, topic=topic)
                self.assertEqual((error, same, parts), (0, sid, {}))
                epoch += 1

                # Produce in rounds; a session consumer names only the
                # partitions whose position moved and must see every record.
                positions = {0: 0, 1: 0, 2: 0}
                changed = {}
                seen = {0: [], 1: [], 2: []}
                sent = 0
                for round_ in range(6):
                    for i in range(30):
                        p = (i + round_) % 3 if round_ % 2 == 0 else 1  # odd rounds: only 1
                        producer.produce(topic, value=f"{p}:{sent}".encode(), partition=p)
                        sent += 1
                    self.assertEqual(producer.flush(30), 0)
                    while sum(len(v) for v in seen.values()) < sent:
                        error, same, parts = fetch(client, sid, epoch, changed, topic=topic,
                                                   max_wait_ms=2000, min_bytes=1)
                        self.assertEqual((error, same), (0, sid))
                        epoch += 1
                        changed = {}
                        self.assertTrue(parts, "a wait that ends with data answers it")
                        for p, (perror, hw, records) in parts.items():
                            self.assertEqual(perror, 0)
                            for first, nxt, count in batches(records):
                                self.assertEqual(first, positions[p], "no gap, no repeat")
                                seen[p].extend(range(first, nxt))
                                positions[p] = nxt
                                changed[p] = nxt
                        if round_ % 2 == 1:
                            self.assertEqual(set(parts) - {1}, set(),
                                             "only the partition with news is answered")
                self.assertEqual(sum(len(v) for v in seen.values()), sent)
                for p in range(3):
                    self.assertEqual(seen[p], list(range(len(seen[p]))))

                # Forgetting a partition: its news no longer comes. (The
                # request carries the positions the last answer moved.)
                error, _, _ = fetch(client, sid, epoch, changed, forgotten=[2], topic=topic)
                self.assertEqual(error, 0)
                epoch += 1
                producer.produce(topic, value=b"late", partition=2)
                self.assertEqual(producer.flush(30), 0)
                error, _, parts = fetch(client, sid, epoch, {}, topic=topic, max_wait_ms=300,
                                        min_bytes=1)
                self.assertEqual((error, parts), (0, {}))
                epoch += 1

                # A wrong epoch, an unknown id: Kafka's errors, the session unharmed.
                error, zero, parts = fetch(client, sid, epoch + 5, {}, topic=topic)
                self.assertEqual((error, zero, parts), (INVALID_FETCH_SESSION_EPOCH, 0, {}))
                error, _, _ = fetch(client, sid ^ 0x5a5a, 1, {}, topic=topic)
                self.assertEqual(error, FETCH_SESSION_ID_NOT_FOUND)
                error, same, _ = fetch(client, sid, epoch, {}, topic=topic)
                self.assertEqual((error, same), (0, sid))
                epoch += 1

                # Epoch -1 closes it (a full, sessionless fetch); the id is gone.
                error, zero, parts = fetch(client, sid, -1, {0: 0}, topic=topic)
                self.assertEqual((error, zero), (0, 0))
                self.assertEqual(list(parts), [0])
                error, _, _ = fetch(client, sid, epoch, {}, topic=topic)
                self.assertEqual(error, FETCH_SESSION_ID_NOT_FOUND)
            finally:
                client.close()


if __name__ == "__main__":
    unittest.main()
