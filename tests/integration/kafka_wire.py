"""A minimal Kafka wire client for tests that need control no real client
gives: many Produce requests pipelined on one connection, each with its own
acks, partitions and batch sizes. Written from the protocol guide (RecordBatch
v2, Produce v7), independent of Rill's own codec. CRC-32C from Debian's
python3-crc32c.
"""
import socket
import struct

import crc32c

PRODUCE_VERSION = 7


def _varint(n):
    n = (n << 1) ^ (n >> 63)  # zigzag
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def record_batch(values, timestamp_ms=0):
    """An uncompressed RecordBatch v2 holding one record per value (no key)."""
    records = bytearray()
    for i, v in enumerate(values):
        body = b"\x00" + _varint(0) + _varint(i) + _varint(-1) + _varint(len(v)) + v + _varint(0)
        records += _varint(len(body)) + body
    after_crc = struct.pack(">hiqqqhii", 0, len(values) - 1, timestamp_ms, timestamp_ms, -1, -1, -1,
                            len(values)) + bytes(records)
    crc = crc32c.crc32c(after_crc)
    after_length = struct.pack(">ibI", -1, 2, crc) + after_crc
    return struct.pack(">qi", 0, len(after_length)) + after_length


def _string(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def produce_request(correlation, topic, batches_by_partition, acks, timeout_ms=30000,
                    client_id="rill-wire-test"):
    """A framed Produce v7 request: {partition: batch bytes}."""
    body = struct.pack(">hhi", 0, PRODUCE_VERSION, correlation) + _string(client_id)
    body += struct.pack(">hhi", -1, acks, timeout_ms)
    body += struct.pack(">i", 1) + _string(topic) + struct.pack(">i", len(batches_by_partition))
    for p, batch in batches_by_partition.items():
        body += struct.pack(">ii", p, len(batch)) + batch
    return struct.pack(">i", len(body)) + body


class _Reader:
    def __init__(self, data):
        self.data = data
        self.at = 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.data, self.at)
        self.at += struct.calcsize(fmt)
        return v if len(v) > 1 else v[0]

    def string(self):
        n = self.take(">h")
        s = self.data[self.at:self.at + n].decode()
        self.at += n
        return s


def parse_produce_response(frame):
    """(correlation, {partition: (error_code, base_offset)}) of a Produce v7 response."""
    r = _Reader(frame)
    correlation = r.take(">i")
    out = {}
    for _ in range(r.take(">i")):
        r.string()
        for _ in range(r.take(">i")):
            index, error, base_offset, _append_time, _start = r.take(">ihqqq")
            out[index] = (error, base_offset)
    return correlation, out


def metadata_request(correlation, client_id="rill-wire-test"):
    """A framed Metadata v0 request (no topics named: the broker lists all)."""
    body = struct.pack(">hhi", 3, 0, correlation) + _string(client_id) + struct.pack(">i", 0)
    return struct.pack(">i", len(body)) + body


def parse_metadata_broker_ids(frame):
    """The ids of the brokers a Metadata v0 response lists (the live ones)."""
    r = _Reader(frame)
    r.take(">i")
    ids = []
    for _ in range(r.take(">i")):
        ids.append(r.take(">i"))
        r.string()
        r.take(">i")
    return sorted(ids)


class Connection:
    """One blocking TCP connection; send() and receive() may run on two threads."""

    def __init__(self, host, port, timeout_s=60):
        self.sock = socket.create_connection((host, port), timeout=timeout_s)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def send(self, frame):
        self.sock.sendall(frame)

    def _exactly(self, n):
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("broker closed the connection")
            buf += chunk
        return bytes(buf)

    def receive(self):
        (size,) = struct.unpack(">i", self._exactly(4))
        return self._exactly(size)

    def close(self):
        self.sock.close()
