//! Data-path hooks (what plugins implement): ingress rewrite, reroute, copy, discard, reject;
//! consumer filters, including one that cannot decide.

mod common;

use std::sync::Arc;

use common::*;
use wasmq_broker::hooks::{ConsumedMessage, IngressMessage, IngressVerdict, MessageHooks};
use wasmq_protocol::ResponseCode;
use wasmq_protocol::message::{encode_properties, property};

/// A stand-in for the plugin host: decisions by tag, filters by body.
#[derive(Debug)]
struct TestHooks;

impl MessageHooks for TestHooks {
    fn has_ingress(&self, topic: &str) -> bool {
        topic == "Hooked"
    }

    fn ingress(&self, _topic: &str, batch: &mut Vec<IngressMessage>) -> Vec<IngressVerdict> {
        let mut verdicts = Vec::new();
        let mut copies = Vec::new();
        for (i, m) in batch.iter_mut().enumerate() {
            m.properties = format!(
                "{}\u{2}{}",
                m.properties,
                encode_properties([("seen", "1")])
            );
            verdicts.push(match m.tags.as_str() {
                "bad" => IngressVerdict::Rejected("bad tag".into()),
                "drop" => IngressVerdict::Discarded,
                "route" => {
                    m.topic = "Routed".into();
                    m.queue_id = -1;
                    IngressVerdict::Keep
                }
                "copy" => {
                    let mut c = m.clone();
                    c.topic = "Copies".into();
                    c.copy_of = Some(i);
                    copies.push(c);
                    IngressVerdict::Keep
                }
                _ => IngressVerdict::Keep,
            });
        }
        for c in copies {
            batch.push(c);
            verdicts.push(IngressVerdict::Keep);
        }
        verdicts
    }

    fn has_consumer_filter(&self, group: &str, _topic: &str) -> bool {
        group == "FG" || group == "ERR"
    }

    fn consumer_filter(
        &self,
        group: &str,
        _topic: &str,
        batch: &[ConsumedMessage<'_>],
    ) -> Result<Vec<bool>, String> {
        if group == "ERR" {
            return Err("plugin trapped".into());
        }
        Ok(batch.iter().map(|m| m.body != b"hidden").collect())
    }
}

async fn start(dir: &std::path::Path) -> TestBroker {
    let store = open_store(store_config(dir));
    let handle = wasmq_broker::start_with_hooks(config(dir), store, Arc::new(TestHooks))
        .await
        .unwrap();
    let addr = handle
        .local_addr()
        .to_string()
        .replace("0.0.0.0", "127.0.0.1");
    TestBroker {
        handle,
        addr,
        client: wasmq_remoting::RemotingClient::new(),
    }
}

#[tokio::test]
async fn ingress_hooks_rewrite_route_copy_discard_and_reject() {
    let dir = tempfile::tempdir().unwrap();
    let b = start(dir.path()).await;
    let r = b
        .call(send_v2("Hooked", 0, &[("TAGS", "plain")], "p"))
        .await;
    assert_eq!(r.code, 0, "{r:?}");
    let r = b.call(send_v2("Hooked", 0, &[("TAGS", "bad")], "b")).await;
    assert_eq!(r.code, ResponseCode::MessageIllegal.as_i32());
    assert!(r.remark.unwrap_or_default().contains("bad tag"));
    let r = b.call(send_v2("Hooked", 0, &[("TAGS", "drop")], "d")).await;
    assert_eq!(r.code, 0, "discarded is acknowledged");
    let r = b
        .call(send_v2("Hooked", 0, &[("TAGS", "route")], "r"))
        .await;
    assert_eq!(r.code, 0, "{r:?}");
    let routed_queue: i32 = ext(&r, "queueId").parse().unwrap();
    let r = b.call(send_v2("Hooked", 0, &[("TAGS", "copy")], "c")).await;
    assert_eq!(r.code, 0);
    let copy_msg_id = ext(&r, "msgId").to_owned();
    assert_eq!(
        copy_msg_id.split(',').count(),
        1,
        "the answer names what the producer sent, not the plugin's copy"
    );

    wait_dispatched(&b, "Hooked", 0, 2).await;
    let recs = records(&b.call(pull("CG", "Hooked", 0, 0, Some("*"), None)).await);
    let bodies: Vec<&[u8]> = recs.iter().map(|r| &r.body[..]).collect();
    assert_eq!(bodies, [b"p".as_slice(), b"c"]);
    let (_, copy_origin_offset) =
        wasmq_protocol::message::decode_offset_msg_id(&copy_msg_id).unwrap();
    assert_eq!(
        copy_origin_offset, recs[1].physical_offset,
        "the msgId is the stored original's"
    );
    assert_eq!(property(&recs[0].properties, "seen"), Some("1"));
    wait_dispatched(&b, "Routed", routed_queue, 1).await;
    let copies = || -> i64 {
        (0..4)
            .map(|q| b.handle.broker().store.max_offset_in_queue("Copies", q))
            .sum()
    };
    eventually("the copy arriving", async || copies() >= 1).await;
    assert_eq!(copies(), 1);
    // Other topics are untouched.
    let r = b.call(send_v2("Plain", 0, &[("TAGS", "bad")], "x")).await;
    assert_eq!(r.code, 0);
    b.stop().await;
}

#[tokio::test]
async fn consumer_filter_hooks_drop_or_refuse() {
    let dir = tempfile::tempdir().unwrap();
    let b = start(dir.path()).await;
    for body in ["a", "hidden", "b"] {
        assert_eq!(b.call(send_v2("F", 0, &[], body)).await.code, 0);
    }
    wait_dispatched(&b, "F", 0, 3).await;
    let p = b.call(pull("FG", "F", 0, 0, Some("*"), None)).await;
    let bodies: Vec<Vec<u8>> = records(&p).iter().map(|r| r.body.to_vec()).collect();
    assert_eq!(bodies, [b"a".to_vec(), b"b".to_vec()]);
    assert_eq!(ext(&p, "nextBeginOffset"), "3");
    let p = b.call(pull("ERR", "F", 0, 0, Some("*"), None)).await;
    assert_eq!(p.code, ResponseCode::SystemError.as_i32());
    assert_eq!(ext(&p, "nextBeginOffset"), "0", "nothing skipped");
    let p = b.call(pull("Other", "F", 0, 0, Some("*"), None)).await;
    assert_eq!(records(&p).len(), 3);
    b.stop().await;
}
