// kafkajs consumer groups against Rill: two members of one group split a
// topic's partitions (each record read once), commit as they go, and the
// admin client sees the group and its offsets, then deletes it.
// usage: node kafkajs_group.js BOOTSTRAP TOPIC GROUP COUNT
const { Kafka, logLevel } = require('kafkajs');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const [bootstrap, topic, groupId, countText] = process.argv.slice(2);
  const count = parseInt(countText, 10);
  const kafka = new Kafka({ clientId: 'rill-it-group', brokers: [bootstrap], logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 4, replicationFactor: 1 }], waitForLeaders: true });

  const seen = new Map(); // "partition:offset" -> member
  const members = [0, 1].map(() => kafka.consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 500 }));
  const assigned = [0, 0]; // partitions per member, from its latest join
  let done;
  const allRead = new Promise((resolve) => { done = resolve; });
  let duplicates = 0;
  for (const [n, consumer] of members.entries()) {
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      assigned[n] = Object.values(e.payload.memberAssignment).reduce((s, ps) => s + ps.length, 0);
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const key = `${partition}:${message.offset}`;
        if (seen.has(key)) duplicates++;
        seen.set(key, n);
        if (seen.size === count) done();
      },
    });
  }
  // Produce once the two members share the four partitions.
  const splitBy = Date.now() + 30000;
  while (!(assigned[0] > 0 && assigned[1] > 0 && assigned[0] + assigned[1] === 4)) {
    if (Date.now() > splitBy) throw new Error(`no split of the partitions: ${assigned}`);
    await sleep(100);
  }
  const producer = kafka.producer();
  await producer.connect();
  const messages = [];
  for (let i = 0; i < count; i++) messages.push({ key: `k${i}`, value: `v${i}`, partition: i % 4 });
  await producer.send({ topic, acks: -1, messages });
  await producer.disconnect();

  const timer = setTimeout(() => { throw new Error(`read ${seen.size} of ${count} records`); }, 60000);
  await allRead;
  clearTimeout(timer);
  const stable = (await admin.describeGroups([groupId])).groups[0];
  for (const consumer of members) await consumer.disconnect();
  const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
  const committed = offsets[0].partitions.reduce((sum, p) => sum + parseInt(p.offset, 10), 0);
  const listed = (await admin.listGroups()).groups.map((g) => g.groupId);
  const empty = (await admin.describeGroups([groupId])).groups[0].state;
  await admin.deleteGroups([groupId]);
  const afterDelete = (await admin.listGroups()).groups.map((g) => g.groupId);
  await admin.disconnect();
  const perMember = [0, 1].map((n) => [...seen.values()].filter((m) => m === n).length);
  console.log(JSON.stringify({
    read: seen.size, duplicates, perMember, assigned, committed,
    stableState: stable.state, stableMembers: stable.members.length,
    listed: listed.includes(groupId), emptyState: empty, deleted: !afterDelete.includes(groupId),
  }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
