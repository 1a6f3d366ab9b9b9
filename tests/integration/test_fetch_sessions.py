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
import struct
import sys
import unittest
import uuid

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

sys.path.insert(0, os.path.dirname(__file__))
from kafka_wire_groups import GroupClient, Writer  # noqa: E402
from rill_cluster import Broker  # noqa: E402

FETCH = 1
FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH = 70, 71


def fetch(client, session_id, epoch, positions, forgotten=(), topic="t", max_wait_ms=0,
          min_bytes=0):
    """Fetch v12. positions: {partition: offset} to name in the request.
    Returns (error, session_id, {partition: (error, high_watermark, records)})."""
    def partition(w, item):
        index, offset = item
        w.i32(index).i32(-1).i64(offset).i32(-1).i64(-1).i32(1 << 20).tags()

    w = Writer().i32(-1).i32(max_wait_ms).i32(min_bytes).i32(16 << 20).i8(0)
    w.i32(session_id).i32(epoch)
    named = [(topic, sorted(positions.items()))] if positions else []
    w.carray(named, lambda w, t: w.cstr(t[0]).carray(t[1], partition).tags())
    gone = [(topic, list(forgotten))] if forgotten else []
    w.carray(gone, lambda w, t: w.cstr(t[0]).carray(t[1], lambda w, p: w.i32(p)).tags())
    w.cstr("").tags()
    r = client.call(FETCH, 12, w)
    r.i32()  # throttle
    error, sid = r.i16(), r.i32()
    out = {}

    def read_topic(r):
        r.cstr()

        def read_partition(r):
            index, perror, hw = r.i32(), r.i16(), r.i64()
            r.i64()  # last stable offset
            r.i64()  # log start offset
            r.carray(lambda r: (r.i64(), r.i64(), r.tags()))
            r.i32()  # preferred read replica
            records = r.cbytes()
            r.tags()
            out[index] = (perror, hw, records)
        r.carray(read_partition)
        r.tags()
    r.carray(read_topic)
    r.tags()
    assert r.done()
    return error, sid, out


def batches(records):
    """(first offset, next offset, record count) of each RecordBatch."""
    out, at = [], 0
    while at + 61 <= len(records):
        base, length = struct.unpack_from(">qi", records, at)
        (last_delta,) = struct.unpack_from(">i", records, at + 23)
        (count,) = struct.unpack_from(">i", records, at + 57)
        out.append((base, base + last_delta + 1, count))
        at += 12 + length
    return out


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
