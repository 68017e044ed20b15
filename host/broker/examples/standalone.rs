//! A name server and a broker in one process, for trying real RocketMQ clients by hand:
//! `cargo run -p wasmq-broker --example standalone -- <store dir> [namesrv port] [broker port]`.
//! (The `wasmq` binary is the real front-end; this example needs no config files or plugins.)
//! With `WASMQ_ACL_FILE=path/plain_acl.yml` the broker checks requests against that ACL.

use std::path::PathBuf;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "/tmp/wasmq-standalone".into()),
    );
    let ns_port: u16 = args.next().map_or(Ok(9876), |p| p.parse())?;
    let broker_port: u16 = args.next().map_or(Ok(10911), |p| p.parse())?;

    let ns = wasmq_namesrv::start(
        wasmq_namesrv::config::NamesrvConfig {
            kv_config_path: dir.join("namesrv/kvConfig.json").display().to_string(),
            ..Default::default()
        },
        ([0, 0, 0, 0], ns_port).into(),
    )
    .await?;
    let store = wasmq_store::MessageStore::open(wasmq_store::StoreConfig {
        store_path_root_dir: dir.clone(),
        ..Default::default()
    })?;
    let broker = wasmq_broker::start(
        wasmq_broker::BrokerConfig {
            broker_name: "broker-a".into(),
            broker_ip1: "127.0.0.1".into(),
            listen_port: broker_port,
            namesrv_addr: Some(format!("127.0.0.1:{}", ns.local_addr().port())),
            store_path_root_dir: dir,
            acl_enable: std::env::var_os("WASMQ_ACL_FILE").is_some(),
            acl_plain_file: std::env::var_os("WASMQ_ACL_FILE")
                .map_or_else(|| PathBuf::from("conf/plain_acl.yml"), PathBuf::from),
            ..Default::default()
        },
        store,
    )
    .await?;
    println!(
        "ready namesrv={} broker={}",
        ns.local_addr(),
        broker.broker_addr()
    );
    tokio::signal::ctrl_c().await?;
    broker.shutdown().await;
    ns.shutdown().await?;
    Ok(())
}
