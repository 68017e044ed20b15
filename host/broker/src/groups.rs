//! Subscription groups (`SubscriptionGroupManager`): looked up or auto-created by heartbeats,
//! pulls and send-backs, persisted in `config/subscriptionGroup.json`.

use parking_lot::RwLock;
use wasmq_protocol::body::broker::{SubscriptionGroupConfig, SubscriptionGroupWrapper};
use wasmq_protocol::body::namesrv::DataVersion;

use crate::config::BrokerConfig;
use crate::error::BrokerError;
use crate::persist;
use crate::topics::now_ms;

/// Groups created by RocketMQ itself at start.
const BUILT_IN: &[&str] = &[
    "TOOLS_CONSUMER",
    "FILTERSRV_CONSUMER",
    "SELF_TEST_C_GROUP",
    "CID_ONS-HTTP-PROXY",
    "CID_ONSAPI_PULL",
    "CID_ONSAPI_PERMISSION",
    "CID_ONSAPI_OWNER",
    "CID_RMQ_SYS_TRANS",
];

/// The subscription-group table.
#[derive(Debug)]
pub struct GroupTable {
    file: persist::JsonFile,
    /// `autoCreateSubscriptionGroup`, changeable at run time.
    auto_create: std::sync::atomic::AtomicBool,
    retry_max_times: i32,
    inner: RwLock<SubscriptionGroupWrapper>,
}

impl GroupTable {
    /// Built-in groups overlaid with `config/subscriptionGroup.json`.
    pub fn load(config: &BrokerConfig) -> Result<Self, BrokerError> {
        let path = config.config_dir().join("subscriptionGroup.json");
        let mut w = SubscriptionGroupWrapper {
            data_version: DataVersion::new(now_ms()),
            ..Default::default()
        };
        for g in BUILT_IN {
            w.subscription_group_table.insert(
                (*g).to_owned(),
                SubscriptionGroupConfig {
                    group_name: (*g).to_owned(),
                    ..Default::default()
                },
            );
        }
        if let Some(saved) = persist::load::<SubscriptionGroupWrapper>(&path)? {
            w.subscription_group_table
                .extend(saved.subscription_group_table);
            w.data_version = saved.data_version;
        }
        Ok(Self {
            file: persist::JsonFile::new(path),
            auto_create: std::sync::atomic::AtomicBool::new(config.auto_create_subscription_group),
            retry_max_times: config.max_reconsume_times,
            inner: RwLock::new(w),
        })
    }

    /// Turns auto-creation of unknown groups on or off (UPDATE_BROKER_CONFIG).
    pub fn set_auto_create(&self, on: bool) {
        self.auto_create
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// The group's settings, creating them when auto-creation is on (`None` otherwise).
    pub fn find_or_create(
        &self,
        group: &str,
    ) -> Result<Option<SubscriptionGroupConfig>, BrokerError> {
        if let Some(g) = self.inner.read().subscription_group_table.get(group) {
            return Ok(Some(g.clone()));
        }
        if !self.auto_create.load(std::sync::atomic::Ordering::Relaxed) {
            return Ok(None);
        }
        let g = SubscriptionGroupConfig {
            group_name: group.to_owned(),
            retry_max_times: self.retry_max_times,
            ..Default::default()
        };
        tracing::info!(group, "subscription group auto-created");
        self.upsert(g.clone())?;
        Ok(Some(g))
    }

    /// The group's settings, if it exists.
    pub fn get(&self, group: &str) -> Option<SubscriptionGroupConfig> {
        self.inner
            .read()
            .subscription_group_table
            .get(group)
            .cloned()
    }

    /// Creates or replaces a group and persists the table.
    pub fn upsert(&self, g: SubscriptionGroupConfig) -> Result<(), BrokerError> {
        {
            let mut w = self.inner.write();
            w.subscription_group_table.insert(g.group_name.clone(), g);
            w.data_version = w.data_version.next(now_ms());
        }
        self.persist()
    }

    /// Deletes a group; true if it existed.
    pub fn remove(&self, group: &str) -> Result<bool, BrokerError> {
        let existed = {
            let mut w = self.inner.write();
            let existed = w.subscription_group_table.remove(group).is_some();
            if existed {
                w.data_version = w.data_version.next(now_ms());
            }
            existed
        };
        if existed {
            self.persist()?;
        }
        Ok(existed)
    }

    /// A snapshot of the table.
    pub fn snapshot(&self) -> SubscriptionGroupWrapper {
        self.inner.read().clone()
    }

    /// Writes `config/subscriptionGroup.json`.
    pub fn persist(&self) -> Result<(), BrokerError> {
        self.file.save_with(|| self.snapshot())
    }
}
