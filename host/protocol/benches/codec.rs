//! Codec micro-benchmarks: a realistic SEND_MESSAGE_V2 request header encoded and decoded with
//! both serialize types (JSON and RocketMQ binary), and a stored-message record decode.
//! Regression alarms only; compare with rocketmq-rust's 95 ns (binary) / 394 ns (JSON) encode.

use std::hint::black_box;
use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use wasmq_protocol::command::SerializeType;
use wasmq_protocol::header::broker::SendMessageRequestHeaderV2;
use wasmq_protocol::message::properties::encode_properties;
use wasmq_protocol::message::record::{RecordFields, RecordView, decode_record, encode_record};
use wasmq_protocol::{RemotingCommand, RequestCode, frame};

fn send_header() -> SendMessageRequestHeaderV2 {
    let properties = encode_properties([
        ("UNIQ_KEY", "7F0000010B6C18B4AAC24B3A9D6B0000"),
        ("TAGS", "TagA"),
        ("KEYS", "order-20261125-000042"),
        ("WAIT", "true"),
    ]);
    SendMessageRequestHeaderV2 {
        a: "please_rename_unique_group_name".into(),
        b: "OrdersTopic".into(),
        c: Some("TBW102".into()),
        d: Some(4),
        e: 3,
        f: 0,
        g: 1_764_077_400_123,
        h: 0,
        i: Some(properties),
        j: Some(0),
        k: Some(false),
        l: None,
        m: Some(false),
    }
}

fn request(st: SerializeType) -> RemotingCommand {
    let mut cmd =
        RemotingCommand::request_with_header(RequestCode::SendMessageV2, 42, &send_header())
            .with_body(Bytes::from(vec![b'x'; 1024]));
    cmd.serialize_type = st;
    cmd
}

fn header_codec(c: &mut Criterion) {
    let mut g = c.benchmark_group("send_v2_header");
    for (name, st) in [
        ("json", SerializeType::Json),
        ("rocketmq", SerializeType::RocketMq),
    ] {
        let cmd = request(st);
        g.bench_function(format!("encode_frame_{name}"), |b| {
            let mut out = BytesMut::with_capacity(4096);
            b.iter(|| {
                out.clear();
                frame::encode(black_box(&cmd), &mut out).expect("encodes");
                black_box(out.len())
            })
        });
        let mut wire = BytesMut::new();
        frame::encode(&cmd, &mut wire).expect("encodes");
        let wire = wire.freeze();
        g.bench_function(format!("decode_frame_{name}"), |b| {
            b.iter_batched(
                || BytesMut::from(&wire[..]),
                |mut buf| black_box(frame::decode(&mut buf).expect("decodes")),
                BatchSize::SmallInput,
            )
        });
        let parsed = frame::parse(wire.clone()).expect("parses");
        g.bench_function(format!("decode_typed_header_{name}"), |b| {
            b.iter(|| {
                black_box(
                    parsed
                        .decode_header::<SendMessageRequestHeaderV2>()
                        .expect("typed"),
                )
            })
        });
    }
    g.finish();
}

fn record(c: &mut Criterion) {
    let born: SocketAddr = "127.0.0.1:50432".parse().expect("addr");
    let store: SocketAddr = "127.0.0.1:10911".parse().expect("addr");
    let body = vec![b'y'; 1024];
    let properties = encode_properties([
        ("UNIQ_KEY", "7F0000010B6C18B4AAC24B3A9D6B0000"),
        ("TAGS", "TagA"),
        ("WAIT", "true"),
    ]);
    let f = RecordFields {
        queue_id: 3,
        flag: 0,
        queue_offset: 1234,
        physical_offset: 1_048_576,
        sys_flag: 0,
        born_timestamp: 1_764_077_400_123,
        born_host: born,
        store_timestamp: 1_764_077_400_124,
        store_host: store,
        reconsume_times: 0,
        prepared_transaction_offset: 0,
        body: &body,
        body_crc: None,
        topic: "OrdersTopic",
        properties: &properties,
    };
    let mut buf = vec![0u8; f.encoded_size()];
    encode_record(&f, &mut buf).expect("encodes");
    let buf = Bytes::from(buf);
    let mut g = c.benchmark_group("stored_record_1KiB");
    g.throughput(Throughput::Elements(1));
    g.bench_function("encode", |b| {
        let mut out = vec![0u8; f.encoded_size()];
        b.iter(|| black_box(encode_record(black_box(&f), &mut out).expect("encodes")))
    });
    g.bench_function("decode_view", |b| {
        b.iter(|| black_box(RecordView::decode(black_box(&buf), false).expect("decodes")))
    });
    g.bench_function("decode_view_crc", |b| {
        b.iter(|| black_box(RecordView::decode(black_box(&buf), true).expect("decodes")))
    });
    g.bench_function("decode_owned", |b| {
        b.iter(|| black_box(decode_record(black_box(&buf), false).expect("decodes")))
    });
    g.finish();
}

criterion_group!(benches, header_codec, record);
criterion_main!(benches);
