"""The consumer-group APIs at their newest flexible versions, for tests that
check what no client library here sends: FindCoordinator v4, JoinGroup v9,
SyncGroup v5, Heartbeat v4, LeaveGroup v5, OffsetCommit v8, OffsetFetch v8,
DescribeGroups v5, ListGroups v4, DeleteGroups v2 and OffsetDelete v0.
Written from the protocol guide (compact strings and arrays, tagged fields,
request header v2, response header v1), independent of Rill's codec.
"""
import struct

from kafka_wire import Connection

FIND_COORDINATOR, JOIN_GROUP, HEARTBEAT, LEAVE_GROUP, SYNC_GROUP = 10, 11, 12, 13, 14
DESCRIBE_GROUPS, LIST_GROUPS, DELETE_GROUPS = 15, 16, 42
OFFSET_COMMIT, OFFSET_FETCH, OFFSET_DELETE = 8, 9, 47


class Writer:
    def __init__(self):
        self.out = bytearray()

    def i8(self, v):
        self.out += struct.pack(">b", v)
        return self

    def i16(self, v):
        self.out += struct.pack(">h", v)
        return self

    def i32(self, v):
        self.out += struct.pack(">i", v)
        return self

    def i64(self, v):
        self.out += struct.pack(">q", v)
        return self

    def uvarint(self, v):
        while v >= 0x80:
            self.out.append((v & 0x7F) | 0x80)
            v >>= 7
        self.out.append(v)
        return self

    def cstr(self, s):  # compact nullable string
        if s is None:
            return self.uvarint(0)
        b = s.encode()
        return self.uvarint(len(b) + 1).raw(b)

    def cbytes(self, b):
        return self.uvarint(len(b) + 1).raw(b)

    def carray(self, items, each):
        if items is None:
            return self.uvarint(0)
        self.uvarint(len(items) + 1)
        for item in items:
            each(self, item)
        return self

    def str16(self, s):  # classic string
        b = s.encode()
        return self.i16(len(b)).raw(b)

    def tags(self):
        return self.uvarint(0)

    def raw(self, b):
        self.out += b
        return self


class Reader:
    def __init__(self, data):
        self.data = data
        self.at = 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.data, self.at)
        self.at += struct.calcsize(fmt)
        return v[0]

    def i8(self):
        return self.take(">b")

    def i16(self):
        return self.take(">h")

    def i32(self):
        return self.take(">i")

    def i64(self):
        return self.take(">q")

    def boolean(self):
        return self.take(">b") != 0

    def uvarint(self):
        v, shift = 0, 0
        while True:
            b = self.data[self.at]
            self.at += 1
            v |= (b & 0x7F) << shift
            if not b & 0x80:
                return v
            shift += 7

    def cstr(self):
        n = self.uvarint() - 1
        if n < 0:
            return None
        s = self.data[self.at:self.at + n].decode()
        self.at += n
        return s

    def cbytes(self):
        n = self.uvarint() - 1
        b = self.data[self.at:self.at + n]
        self.at += n
        return bytes(b)

    def carray(self, each):
        n = self.uvarint() - 1
        return None if n < 0 else [each(self) for _ in range(n)]

    def tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.at += self.uvarint()

    def done(self):
        return self.at == len(self.data)


def consumer_subscription(topics):
    """ConsumerProtocolSubscription v0: version, topics, user data."""
    w = Writer().i16(0).i32(len(topics))
    for t in topics:
        w.str16(t)
    return bytes(w.i32(-1).out)


class GroupClient:
    """Sends one request at a time on one connection and parses the answer."""

    def __init__(self, host, port, client_id="rill-group-wire"):
        self.conn = Connection(host, port)
        self.client_id = client_id
        self.correlation = 0

    def close(self):
        self.conn.close()

    def call(self, api_key, version, body):
        self.correlation += 1
        head = Writer().i16(api_key).i16(version).i32(self.correlation).str16(self.client_id).tags()
        frame = bytes(head.out) + bytes(body.out)
        self.conn.send(struct.pack(">i", len(frame)) + frame)
        r = Reader(self.conn.receive())
        assert r.i32() == self.correlation
        r.tags()
        return r

    def find_coordinators(self, keys, key_type=0):
        w = Writer().i8(key_type).carray(keys, lambda w, k: w.cstr(k)).tags()
        r = self.call(FIND_COORDINATOR, 4, w)
        r.i32()

        def coordinator(r):
            c = dict(key=r.cstr(), node_id=r.i32(), host=r.cstr(), port=r.i32(), error=r.i16(),
                     message=r.cstr())
            r.tags()
            return c
        out = r.carray(coordinator)
        r.tags()
        assert r.done()
        return out

    def join(self, group, member_id, topics, session_ms=10000, rebalance_ms=10000,
             instance_id=None):
        meta = consumer_subscription(topics)
        w = (Writer().cstr(group).i32(session_ms).i32(rebalance_ms).cstr(member_id)
             .cstr(instance_id).cstr("consumer")
             .carray([("range", meta)], lambda w, p: w.cstr(p[0]).cbytes(p[1]).tags())
             .cstr("a test").tags())
        r = self.call(JOIN_GROUP, 9, w)
        out = dict(throttle=r.i32(), error=r.i16(), generation=r.i32(), protocol_type=r.cstr(),
                   protocol=r.cstr(), leader=r.cstr(), skip=r.boolean(), member_id=r.cstr())

        def member(r):
            m = dict(member_id=r.cstr(), instance_id=r.cstr(), metadata=r.cbytes())
            r.tags()
            return m
        out["members"] = r.carray(member)
        r.tags()
        assert r.done()
        return out

    def sync(self, group, generation, member_id, assignments):
        w = (Writer().cstr(group).i32(generation).cstr(member_id).cstr(None).cstr("consumer")
             .cstr("range")
             .carray(list(assignments.items()), lambda w, a: w.cstr(a[0]).cbytes(a[1]).tags())
             .tags())
        r = self.call(SYNC_GROUP, 5, w)
        out = dict(throttle=r.i32(), error=r.i16(), protocol_type=r.cstr(), protocol=r.cstr(),
                   assignment=r.cbytes())
        r.tags()
        assert r.done()
        return out

    def heartbeat(self, group, generation, member_id):
        r = self.call(HEARTBEAT, 4, Writer().cstr(group).i32(generation).cstr(member_id)
                      .cstr(None).tags())
        r.i32()
        error = r.i16()
        r.tags()
        return error

    def leave(self, group, member_ids):
        w = Writer().cstr(group).carray(member_ids,
                                         lambda w, m: w.cstr(m).cstr(None).cstr("done").tags())
        r = self.call(LEAVE_GROUP, 5, w.tags())
        r.i32()
        error = r.i16()

        def member(r):
            m = (r.cstr(), r.cstr(), r.i16())
            r.tags()
            return m
        members = r.carray(member)
        r.tags()
        return error, members

    def commit(self, group, generation, member_id, offsets):
        """offsets: {(topic, partition): offset} -> {(topic, partition): error}."""
        topics = {}
        for (t, p), o in offsets.items():
            topics.setdefault(t, []).append((p, o))

        def partition(w, po):
            w.i32(po[0]).i64(po[1]).i32(-1).cstr(f"meta-{po[0]}").tags()
        w = (Writer().cstr(group).i32(generation).cstr(member_id).cstr(None)
             .carray(list(topics.items()), lambda w, t: w.cstr(t[0]).carray(t[1], partition).tags())
             .tags())
        r = self.call(OFFSET_COMMIT, 8, w)
        r.i32()
        out = {}

        def topic(r):
            name = r.cstr()

            def part(r):
                index = r.i32()
                out[(name, index)] = r.i16()
                r.tags()
            r.carray(part)
            r.tags()
        r.carray(topic)
        r.tags()
        return out

    def fetch_offsets(self, groups):
        """groups: {group: [(topic, [partitions])] or None} -> {group: (error, {(t, p): (offset, metadata, error)})}"""
        def group(w, g):
            name, topics = g
            w.cstr(name).carray(topics, lambda w, t: w.cstr(t[0]).carray(
                t[1], lambda w, p: w.i32(p)).tags()).tags()
        w = Writer().carray(list(groups.items()), group).i8(0).tags()
        r = self.call(OFFSET_FETCH, 8, w)
        r.i32()
        out = {}

        def read_group(r):
            name = r.cstr()
            offsets = {}

            def topic(r):
                t = r.cstr()

                def part(r):
                    p, offset = r.i32(), r.i64()
                    r.i32()  # committed leader epoch
                    meta, error = r.cstr(), r.i16()
                    offsets[(t, p)] = (offset, meta, error)
                    r.tags()
                r.carray(part)
                r.tags()
            r.carray(topic)
            out[name] = (r.i16(), offsets)
            r.tags()
        r.carray(read_group)
        r.tags()
        assert r.done()
        return out

    def describe(self, groups):
        r = self.call(DESCRIBE_GROUPS, 5,
                      Writer().carray(groups, lambda w, g: w.cstr(g)).i8(0).tags())
        r.i32()

        def group(r):
            g = dict(error=r.i16(), group=r.cstr(), state=r.cstr(), protocol_type=r.cstr(),
                     protocol=r.cstr())

            def member(r):
                m = dict(member_id=r.cstr(), instance_id=r.cstr(), client_id=r.cstr(),
                         host=r.cstr(), metadata=r.cbytes(), assignment=r.cbytes())
                r.tags()
                return m
            g["members"] = r.carray(member)
            g["ops"] = r.i32()
            r.tags()
            return g
        out = r.carray(group)
        r.tags()
        assert r.done()
        return out

    def list_groups(self, states=()):
        r = self.call(LIST_GROUPS, 4, Writer().carray(list(states), lambda w, s: w.cstr(s)).tags())
        r.i32()
        error = r.i16()

        def group(r):
            g = (r.cstr(), r.cstr(), r.cstr())
            r.tags()
            return g
        groups = r.carray(group)
        r.tags()
        return error, groups

    def delete_groups(self, groups):
        r = self.call(DELETE_GROUPS, 2, Writer().carray(groups, lambda w, g: w.cstr(g)).tags())
        r.i32()

        def result(r):
            x = (r.cstr(), r.i16())
            r.tags()
            return x
        out = dict(r.carray(result))
        r.tags()
        return out

    def delete_offsets(self, group, topic, partitions):
        """OffsetDelete v0 (never flexible)."""
        self.correlation += 1
        head = Writer().i16(OFFSET_DELETE).i16(0).i32(self.correlation).str16(self.client_id)
        body = Writer().str16(group).i32(1).str16(topic).i32(len(partitions))
        for p in partitions:
            body.i32(p)
        frame = bytes(head.out) + bytes(body.out)
        self.conn.send(struct.pack(">i", len(frame)) + frame)
        data = self.conn.receive()
        r = Reader(data)
        assert r.i32() == self.correlation
        error = r.i16()
        r.i32()  # throttle time
        out = {}
        for _ in range(r.i32()):
            n = r.i16()
            r.at += n
            for _ in range(r.i32()):
                p = r.i32()
                out[p] = r.i16()
        return error, out
