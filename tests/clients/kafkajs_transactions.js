// kafkajs transactions against Rill: a transactional producer commits,
// aborts (after its records reached the broker) and commits again, the
// last time with a consumer group's offsets (sendOffsets); a read_committed
// consumer (kafkajs' default) reads the committed records only, a
// read_uncommitted one reads all, and the group's offsets are those the
// committed transaction carried.
// usage: node kafkajs_transactions.js BOOTSTRAP TOPIC GROUP COUNT
const { Kafka, logLevel } = require('kafkajs');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function readAll(kafka, topic, readUncommitted, want) {
  const consumer = kafka.consumer({ groupId: `read-${Date.now()}-${Math.random()}`, readUncommitted });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const values = [];
  await consumer.run({ eachMessage: async ({ message }) => { values.push(message.value.toString()); } });
  const until = Date.now() + 30000;
  while (values.length < want && Date.now() < until) await sleep(100);
  await sleep(1500); // anything beyond what is expected would arrive now
  await consumer.disconnect();
  return values;
}

async function main() {
  const [bootstrap, topic, groupId, countText] = process.argv.slice(2);
  const count = parseInt(countText, 10);
  const kafka = new Kafka({ clientId: 'rill-it-txn', brokers: [bootstrap], logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true });

  const producer = kafka.producer({
    transactionalId: `${topic}-tx`, idempotent: true, maxInFlightRequests: 1,
  });
  await producer.connect();
  const batch = (tag) => {
    const messages = [];
    for (let i = 0; i < count; i++) messages.push({ key: `k${i}`, value: `${tag}-${i}`, partition: i % 2 });
    return messages;
  };
  let txn = await producer.transaction();
  await txn.send({ topic, messages: batch('first') });
  await txn.commit();
  txn = await producer.transaction();
  await txn.send({ topic, messages: batch('aborted') });
  await txn.abort();
  txn = await producer.transaction();
  await txn.send({ topic, messages: batch('second') });
  await txn.sendOffsets({
    consumerGroupId: groupId,
    topics: [{ topic, partitions: [{ partition: 0, offset: '7' }, { partition: 1, offset: '9' }] }],
  });
  await txn.commit();
  await producer.disconnect();

  const committed = await readAll(kafka, topic, false, 2 * count);
  const everything = await readAll(kafka, topic, true, 3 * count);
  const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
  await admin.disconnect();
  console.log(JSON.stringify({
    committed: committed.length,
    committedAborted: committed.filter((v) => v.startsWith('aborted')).length,
    everything: everything.length,
    offsets: offsets[0].partitions.map((p) => [p.partition, p.offset]).sort(),
  }));
}

main().catch((e) => { console.error(e); process.exit(1); });
