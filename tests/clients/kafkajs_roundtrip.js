// kafkajs against a Rill broker: admin (create topic, metadata, offsets,
// DeleteRecords) and producers (plain and idempotent). Consumption is checked by the caller
// with another client; kafkajs_group.js covers kafkajs consumers.
// usage: node kafkajs_roundtrip.js BOOTSTRAP TOPIC COUNT
const { Kafka, logLevel } = require('kafkajs');

async function main() {
  const [bootstrap, topic, countText] = process.argv.slice(2);
  const count = parseInt(countText, 10);
  const kafka = new Kafka({ clientId: 'rill-it', brokers: [bootstrap], logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true });
  const md = await admin.fetchTopicMetadata({ topics: [topic] });
  if (md.topics[0].partitions.length !== 2) throw new Error('expected 2 partitions');

  const plain = kafka.producer();
  await plain.connect();
  const idempotent = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await idempotent.connect();
  for (let i = 0; i < count; i++) {
    const producer = i % 2 === 0 ? plain : idempotent;
    await producer.send({
      topic,
      acks: -1,
      messages: [{ key: `k${i}`, value: `v${i}`, partition: i % 2, headers: { n: `${i}` } }],
    });
  }
  await plain.disconnect();
  await idempotent.disconnect();

  const offsets = await admin.fetchTopicOffsets(topic);
  const total = offsets.reduce((sum, p) => sum + (parseInt(p.high, 10) - parseInt(p.low, 10)), 0);
  if (total !== count) throw new Error(`expected ${count} records, offsets say ${total}`);
  // DeleteRecords: partition 0 starts at offset 10 from now on.
  await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '10' }] });
  const after = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const low = parseInt(after.find((p) => p.partition === 0).low, 10);
  console.log(JSON.stringify({ total, offsets, low_after_delete: low }));
  if (low !== 10) throw new Error(`partition 0 starts at ${low} after DeleteRecords, not 10`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
