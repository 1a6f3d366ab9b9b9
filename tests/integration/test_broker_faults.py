"""Bad input, restarts and crashes against a real broker process."""
import os
import socket
import struct
import subprocess
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from rill_cluster import RILL, Broker  # noqa: E402
from test_kafka_clients import consume_all, produce_all  # noqa: E402


def frame(api_key, version, correlation, body=b"", client_id=b"it"):
    header = struct.pack(">hhih", api_key, version, correlation, len(client_id)) + client_id
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


def closed_by_peer(sock, timeout_s=5):
    sock.settimeout(timeout_s)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    finally:
        sock.close()


class BadInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker(extra=["--socket.request.max.bytes=1048576"]).start()

    @classmethod
    def tearDownClass(cls):
        assert cls.broker.stop() == 0

    def connect(self):
        return socket.create_connection(("127.0.0.1", self.broker.port), timeout=5)

    def assert_broker_still_serves(self):
        t = f"alive-{uuid.uuid4().hex[:6]}"
        reports = produce_all(self.broker.bootstrap, t, [(None, b"ok", None, 0)])
        self.assertIsNone(reports[0][0])

    def test_oversized_frame_closes_only_that_connection(self):
        s = self.connect()
        s.sendall(struct.pack(">i", 64 << 20))
        self.assertTrue(closed_by_peer(s))
        self.assert_broker_still_serves()
        self.assertIn("socket.request.max.bytes", self.broker.log_text())

    def test_negative_and_tiny_lengths_close_the_connection(self):
        for length in (-5, 0, 3):
            s = self.connect()
            s.sendall(struct.pack(">i", length) + b"\x00" * 8)
            self.assertTrue(closed_by_peer(s), length)
        self.assert_broker_still_serves()

    def test_unknown_api_key_closes_the_connection(self):
        s = self.connect()
        s.sendall(frame(999, 0, 1))
        self.assertTrue(closed_by_peer(s))
        self.assertIn("unknown API key 999", self.broker.log_text())
        self.assert_broker_still_serves()

    def test_truncated_body_and_lying_array_length(self):
        s = self.connect()
        # Metadata v1 with an array length of 2^31-1 and no elements.
        s.sendall(frame(3, 1, 7, struct.pack(">i", 0x7FFFFFFF)))
        self.assertTrue(closed_by_peer(s))
        s = self.connect()
        # Produce v3 cut in the middle of its topic array.
        s.sendall(frame(0, 3, 8, struct.pack(">hhi", -1, 1, 1000) + struct.pack(">i", 1) + b"\x00"))
        self.assertTrue(closed_by_peer(s))
        self.assertIn("malformed", self.broker.log_text())
        self.assert_broker_still_serves()

    def test_unsupported_api_versions_version_is_answered_with_v0(self):
        s = self.connect()
        s.sendall(frame(18, 99, 42))
        s.settimeout(5)
        size = struct.unpack(">i", s.recv(4))[0]
        body = b""
        while len(body) < size:
            body += s.recv(size - len(body))
        correlation, error = struct.unpack(">ih", body[:6])
        self.assertEqual((correlation, error), (42, 35))  # UNSUPPORTED_VERSION
        api_count = struct.unpack(">i", body[6:10])[0]
        self.assertGreaterEqual(api_count, 8)
        s.close()


class RestartTest(unittest.TestCase):
    def test_sigterm_restart_keeps_every_record(self):
        b = Broker()
        b.start()
        t = f"restart-{uuid.uuid4().hex[:6]}"
        records = [(None, f"{i}".encode(), None, 0) for i in range(3000)]
        produce_all(b.bootstrap, t, records, acks="all")
        self.assertEqual(b.stop(), 0)
        b.start()
        msgs = consume_all(b.bootstrap, t, [0], 3000)
        self.assertEqual([m.value() for m in msgs], [r[1] for r in records])
        # Offsets continue after the restart.
        reports = produce_all(b.bootstrap, t, [(None, b"after", None, 0)], acks="all")
        self.assertEqual(reports[0][2], 3000)
        self.assertEqual(b.stop(), 0)

    def test_kill_9_loses_no_acknowledged_record(self):
        b = Broker()
        b.start()
        t = f"crash-{uuid.uuid4().hex[:6]}"
        records = [(None, f"{i}".encode(), None, 0) for i in range(2000)]
        reports = produce_all(b.bootstrap, t, records, acks="all")
        acked = {r[2] for r in reports if r[0] is None}
        self.assertEqual(len(acked), 2000)
        b.kill9()
        b.start()
        msgs = consume_all(b.bootstrap, t, [0], 2000)
        self.assertEqual({m.offset() for m in msgs}, acked)
        self.assertEqual(b.stop(), 0)


class ConfigTest(unittest.TestCase):
    def run_broker(self, *args):
        return subprocess.run([RILL, "broker", *args], capture_output=True, timeout=30)

    def test_unknown_key_exits_2_naming_it(self):
        r = self.run_broker("--no.such.key=1")
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"no.such.key", r.stderr)

    def test_bad_value_exits_2_naming_key_and_value(self):
        r = self.run_broker("--port=70000")
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"port", r.stderr)
        self.assertIn(b"70000", r.stderr)


if __name__ == "__main__":
    unittest.main()
