"""The group APIs at their newest flexible versions, on the wire: batched
FindCoordinator (groups and transactional ids), the KIP-394 join, sync,
heartbeat fencing, commits and multi-group offset fetches, describe/list with state filters, batched
leave, and the deletes' refusals (NON_EMPTY_GROUP, GROUP_SUBSCRIBED_TO_TOPIC).
No client library here sends these versions; kafka_wire_groups.py is
written from the protocol guide."""
import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from kafka_wire_groups import GroupClient  # noqa: E402
from rill_cluster import Broker  # noqa: E402

NONE, INVALID_REQUEST, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID = 0, 42, 22, 25
REBALANCE_IN_PROGRESS, MEMBER_ID_REQUIRED, NON_EMPTY_GROUP = 27, 79, 68
GROUP_ID_NOT_FOUND, GROUP_SUBSCRIBED_TO_TOPIC, INVALID_TOPIC = 69, 86, 17


def create_topic(bootstrap, name, partitions):
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, partitions, 1)])[name].result(30)


class GroupProtocolTest(unittest.TestCase):
    def test_a_group_lives_and_dies_on_the_wire(self):
        with Broker(extra=["--group.initial.rebalance.delay.ms=0"]) as b:
            topic = f"wire-{uuid.uuid4().hex[:6]}"
            create_topic(b.bootstrap, topic, 2)
            c = GroupClient("127.0.0.1", b.port)
            group, other = f"g-{uuid.uuid4().hex[:6]}", f"h-{uuid.uuid4().hex[:6]}"

            found = c.find_coordinators([group, other])
            self.assertEqual([f["key"] for f in found], [group, other])
            for f in found:
                self.assertEqual((f["error"], f["node_id"], f["port"]), (NONE, 1, b.port))
            # A transactional id's coordinator (key type 1), and a key type
            # nobody knows.
            txn = c.find_coordinators(["txn-1"], key_type=1)[0]
            self.assertEqual((txn["error"], txn["node_id"], txn["port"]), (NONE, 1, b.port))
            self.assertEqual(c.find_coordinators(["x"], key_type=7)[0]["error"], INVALID_REQUEST)

            first = c.join(group, "", [topic])
            self.assertEqual(first["error"], MEMBER_ID_REQUIRED)
            member = first["member_id"]
            self.assertTrue(member.startswith("rill-group-wire-"), member)
            joined = c.join(group, member, [topic])
            self.assertEqual((joined["error"], joined["generation"], joined["leader"]),
                             (NONE, 1, member))
            self.assertEqual((joined["protocol_type"], joined["protocol"]), ("consumer", "range"))
            self.assertEqual([m["member_id"] for m in joined["members"]], [member])

            synced = c.sync(group, 1, member, {member: b"assignment-bytes"})
            self.assertEqual((synced["error"], synced["assignment"]), (NONE, b"assignment-bytes"))
            self.assertEqual(c.heartbeat(group, 1, member), NONE)
            self.assertEqual(c.heartbeat(group, 2, member), ILLEGAL_GENERATION)
            self.assertEqual(c.heartbeat(group, 1, "stranger"), UNKNOWN_MEMBER_ID)

            committed = c.commit(group, 1, member, {(topic, 0): 5, (topic, 1): 7})
            self.assertEqual(committed, {(topic, 0): NONE, (topic, 1): NONE})
            self.assertEqual(c.commit(group, 0, member, {(topic, 0): 9}), {(topic, 0): ILLEGAL_GENERATION})
            fetched = c.fetch_offsets({group: [(topic, [0, 1])], other: None})
            self.assertEqual(fetched[group], (NONE, {(topic, 0): (5, "meta-0", NONE),
                                                     (topic, 1): (7, "meta-1", NONE)}))
            self.assertEqual(fetched[other], (NONE, {}))
            everything = c.fetch_offsets({group: None})[group][1]
            self.assertEqual(sorted(everything), [(topic, 0), (topic, 1)])

            described = c.describe([group, other])
            self.assertEqual((described[0]["state"], described[0]["protocol"]), ("Stable", "range"))
            self.assertEqual(described[0]["members"][0]["assignment"], b"assignment-bytes")
            self.assertEqual(described[0]["members"][0]["host"], "/127.0.0.1")
            self.assertEqual(described[1]["state"], "Dead")
            self.assertEqual(c.list_groups(["Stable"]), (NONE, [(group, "consumer", "Stable")]))
            self.assertEqual(c.list_groups(["Empty"]), (NONE, []))

            self.assertEqual(c.delete_groups([group]), {group: NON_EMPTY_GROUP})
            err, parts = c.delete_offsets(group, topic, [0])
            self.assertEqual((err, parts), (NONE, {0: GROUP_SUBSCRIBED_TO_TOPIC}))

            err, members = c.leave(group, [member, "stranger"])
            self.assertEqual(err, NONE)
            self.assertEqual([(m[0], m[2]) for m in members],
                             [(member, NONE), ("stranger", UNKNOWN_MEMBER_ID)])
            self.assertEqual(c.list_groups(["empty"])[1], [(group, "consumer", "Empty")])
            self.assertEqual(c.delete_offsets(group, topic, [0]), (NONE, {0: NONE}))
            self.assertEqual(c.fetch_offsets({group: [(topic, [0, 1])]})[group][1][(topic, 0)][0], -1)
            self.assertEqual(c.delete_groups([group, other]),
                             {group: NONE, other: GROUP_ID_NOT_FOUND})
            self.assertEqual(c.describe([group])[0]["state"], "Dead")
            self.assertEqual(c.fetch_offsets({group: [(topic, [1])]})[group][1][(topic, 1)][0], -1)
            c.close()

    def test_only_the_coordinator_writes_the_offsets_topic(self):
        from confluent_kafka import Producer
        with Broker() as b:
            c = GroupClient("127.0.0.1", b.port)
            c.find_coordinators(["any"])  # creates the offsets topic
            c.close()
            errors = []
            p = Producer({"bootstrap.servers": b.bootstrap, "retries": 0})
            p.produce("__consumer_offsets", b"x", partition=0,
                      on_delivery=lambda err, msg: errors.append(err))
            p.flush(20)
            self.assertEqual(len(errors), 1)
            self.assertIsNotNone(errors[0])
            self.assertEqual(errors[0].code(), INVALID_TOPIC)


if __name__ == "__main__":
    unittest.main()
