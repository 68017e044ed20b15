//! UPDATE_BROKER_CONFIG (25) (Java `AdminBrokerProcessor.updateBrokerConfig`): the body is a Java
//! properties text of `key=value` lines; the keys that can change at run time
//! ([`crate::config::RUNTIME_KEYS`]) are applied at once, all or nothing, and GET_BROKER_CONFIG
//! shows them. A key that needs a restart, an unknown key or a bad value is refused with a remark
//! naming it. A `brokerPermission` change re-registers with the nameservers at once, as Java does.
//! Not persisted: a restart reads broker.conf again (Java rewrites broker.conf).

use wasmq_protocol::header::NoHeader;
use wasmq_protocol::{RemotingCommand, ResponseCode};
use wasmq_remoting::Request;

use crate::broker::Broker;

pub use wasmq_protocol::body::parse_properties;

/// UPDATE_BROKER_CONFIG (25).
pub fn update(b: &Broker, req: Request<NoHeader>) -> RemotingCommand {
    let Ok(text) = std::str::from_utf8(&req.body) else {
        return RemotingCommand::error(ResponseCode::SystemError, "the body is not UTF-8 text");
    };
    let changes = parse_properties(text);
    if changes.is_empty() {
        return RemotingCommand::error(ResponseCode::SystemError, "no key=value line in the body");
    }
    match b.config.update(&changes) {
        Ok(changed) => {
            tracing::info!(peer = %req.conn.peer(), ?changed, "broker config updated");
            for key in &changed {
                match key.as_str() {
                    "autoCreateSubscriptionGroup" => {
                        b.groups
                            .set_auto_create(b.config.load().auto_create_subscription_group);
                    }
                    "brokerPermission" => b.topics.signal_changed(),
                    _ => {}
                }
            }
            RemotingCommand::success()
        }
        Err(e) => RemotingCommand::error(ResponseCode::SystemError, e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_lines() {
        let p = parse_properties("#c\nbrokerPermission=4\n traceOn : false\n\n");
        assert_eq!(
            p,
            vec![
                ("brokerPermission".to_owned(), "4".to_owned()),
                ("traceOn".to_owned(), "false".to_owned())
            ]
        );
    }
}
