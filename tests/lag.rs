//! Consumer lag from librdkafka's statistics, on librdkafka's in-process
//! mock cluster: its high watermarks are right, where Tansu's are not
//! (docs/streaming.md), so the figure can be checked exactly here.

use std::time::{Duration, Instant};

use chainwatch::service::config::Role;
use chainwatch::service::context::GroupContext;
use chainwatch::service::lag::LagGauge;
use prometheus::{IntGaugeVec, Opts};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};

#[test]
fn lag_is_the_records_past_what_was_finished_with() {
    let cluster = MockCluster::new(1).expect("mock cluster");
    cluster.create_topic("t", 2, 1).expect("topic");
    let servers = cluster.bootstrap_servers();
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", &servers)
        .create()
        .expect("producer");
    for (partition, n) in [(0, 10), (1, 3)] {
        for _ in 0..n {
            producer
                .send(
                    BaseRecord::<str, str>::to("t")
                        .partition(partition)
                        .payload("x"),
                )
                .map_err(|(e, _)| e)
                .expect("enqueue");
        }
    }
    producer.flush(Duration::from_secs(10)).expect("flushed");

    let gauge = IntGaugeVec::new(Opts::new("lag", "lag"), &["topic"]).unwrap();
    let (context, _rebalances) = GroupContext::new(Role::Ingest);
    let context = context.with_lag(LagGauge::new(gauge.clone()));
    let consumer: BaseConsumer<GroupContext> = ClientConfig::new()
        .set("bootstrap.servers", &servers)
        .set("group.id", "lag-test")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("statistics.interval.ms", "100")
        .create_with_context(context)
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset("t", 0, Offset::Beginning).unwrap();
    tpl.add_partition_offset("t", 1, Offset::Beginning).unwrap();
    consumer.assign(&tpl).expect("assign");

    // Finish with 4 records of partition 0 and all 3 of partition 1; the
    // rest are read (as a prefetching consumer would) but not finished.
    let mut finished = [0, 0];
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut lag = None;
    while Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(50)) {
            let p = m.partition() as usize;
            if finished[p] < [4, 3][p] {
                consumer
                    .store_offset("t", m.partition(), m.offset())
                    .expect("store");
                finished[p] += 1;
            }
        }
        if finished == [4, 3] {
            let now = gauge.with_label_values(&["t"]).get();
            if now == 6 {
                lag = Some(now);
                break;
            }
        }
    }
    assert_eq!(lag, Some(6), "6 records of partition 0 not finished with");
}
