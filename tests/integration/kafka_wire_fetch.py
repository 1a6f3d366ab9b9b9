"""Fetch v12 on the wire, with its session fields (KIP-227), for tests and
benchmarks that drive fetch sessions: no client library on this machine
speaks them. Written from the protocol guide (request header v2, response
header v1, compact strings and arrays, tagged fields), independent of Rill's
codec.
"""
import struct

from kafka_wire_groups import Writer

FETCH = 1
FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH = 70, 71


def fetch(client, session_id, epoch, positions, forgotten=(), topic="t", max_wait_ms=0,
          min_bytes=0, sizes=None):
    """Fetch v12 on a GroupClient. positions: {partition: offset} to name in
    the request. Returns (error, session_id, {partition: (error,
    high_watermark, records)}); sizes, if given, gets the request and response
    body sizes."""
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
    if sizes is not None:
        sizes["request_bytes"] = len(w.out)
        sizes["response_bytes"] = len(r.data)
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
