//! Request and response code tables, language codes and version ordinals (RocketMQ 4.9.x).

/// The `version` wasmq puts in every frame it sends: RocketMQ V4_9_8's ordinal.
///
/// Java clients refuse SQL92 pulls when the broker's version is below V4_1_0 (232), so this must
/// be a real, recent ordinal.
pub const CURRENT_VERSION: i32 = 409;

/// Version ordinal of V3_4_9: from this request version on, a send-back's `maxReconsumeTimes`
/// header is honoured.
pub const V3_4_9: i32 = 121;

macro_rules! code_table {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $value:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $(
                #[doc = concat!("`", stringify!($variant), "` (", stringify!($value), ")")]
                $variant = $value,
            )*
        }

        impl $name {
            /// Every code in the table, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The code for a wire value, if it is in the table.
            pub fn from_i32(value: i32) -> Option<Self> {
                match value {
                    $($value => Some($name::$variant),)*
                    _ => None,
                }
            }

            /// The wire value.
            pub fn as_i32(self) -> i32 {
                self as i32
            }

            /// The code's name, for logs and metrics.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => stringify!($variant),)*
                }
            }
        }
    };
}

code_table! {
    /// Request codes wasmq serves or sends (`RequestCode.java`, 4.9.x).
    RequestCode {
        SendMessage = 10,
        PullMessage = 11,
        QueryMessage = 12,
        QueryConsumerOffset = 14,
        UpdateConsumerOffset = 15,
        UpdateAndCreateTopic = 17,
        GetAllTopicConfig = 21,
        UpdateBrokerConfig = 25,
        GetBrokerConfig = 26,
        GetBrokerRuntimeInfo = 28,
        SearchOffsetByTimestamp = 29,
        GetMaxOffset = 30,
        GetMinOffset = 31,
        GetEarliestMsgStoretime = 32,
        ViewMessageById = 33,
        HeartBeat = 34,
        UnregisterClient = 35,
        ConsumerSendMsgBack = 36,
        EndTransaction = 37,
        GetConsumerListByGroup = 38,
        CheckTransactionState = 39,
        NotifyConsumerIdsChanged = 40,
        LockBatchMq = 41,
        UnlockBatchMq = 42,
        GetAllConsumerOffset = 43,
        GetAllDelayOffset = 45,
        CheckClientConfig = 46,
        PutKvConfig = 100,
        GetKvConfig = 101,
        DeleteKvConfig = 102,
        RegisterBroker = 103,
        UnregisterBroker = 104,
        GetRouteinfoByTopic = 105,
        GetBrokerClusterInfo = 106,
        UpdateAndCreateSubscriptiongroup = 200,
        GetAllSubscriptiongroupConfig = 201,
        GetTopicStatsInfo = 202,
        GetConsumerConnectionList = 203,
        GetProducerConnectionList = 204,
        WipeWritePermOfBroker = 205,
        GetAllTopicListFromNameserver = 206,
        DeleteSubscriptiongroup = 207,
        GetConsumeStats = 208,
        DeleteTopicInBroker = 215,
        DeleteTopicInNamesrv = 216,
        GetKvlistByNamespace = 219,
        ResetConsumerClientOffset = 220,
        GetConsumerStatusFromClient = 221,
        InvokeBrokerToResetOffset = 222,
        InvokeBrokerToGetConsumerStatus = 223,
        QueryTopicConsumeByWho = 300,
        GetTopicsByCluster = 224,
        QueryConsumeTimeSpan = 303,
        GetSystemTopicListFromNs = 304,
        GetSystemTopicListFromBroker = 305,
        CleanExpiredConsumequeue = 306,
        GetConsumerRunningInfo = 307,
        QueryCorrectionOffset = 308,
        ConsumeMessageDirectly = 309,
        SendMessageV2 = 310,
        GetUnitTopicList = 311,
        GetHasUnitSubTopicList = 312,
        GetHasUnitSubUnunitTopicList = 313,
        CloneGroupOffset = 314,
        ViewBrokerStatsData = 315,
        CleanUnusedTopic = 316,
        GetBrokerConsumeStats = 317,
        UpdateNamesrvConfig = 318,
        GetNamesrvConfig = 319,
        SendBatchMessage = 320,
        QueryConsumeQueue = 321,
        QueryDataVersion = 322,
        ResumeCheckHalfMessage = 323,
        SendReplyMessage = 324,
        SendReplyMessageV2 = 325,
        PushReplyMessageToClient = 326,
        AddWritePermOfBroker = 327,
        DeleteExpiredCommitlog = 329,
        // wasmq extensions, 9000..=9099: a range RocketMQ 4.9.x and 5.x leave unused (their
        // highest codes are 1001..=1018 controller, 2001..=2004 cold data, 3001..=3010 auth and
        // 200050.. pop). Java clients never send them; `wasmq admin plugins` does.
        WasmqPluginList = 9000,
        WasmqPluginSetEnabled = 9001,
    }
}

code_table! {
    /// Response codes (`ResponseCode.java` + `RemotingSysResponseCode.java`, 4.9.x).
    ResponseCode {
        Success = 0,
        SystemError = 1,
        SystemBusy = 2,
        RequestCodeNotSupported = 3,
        TransactionFailed = 4,
        FlushDiskTimeout = 10,
        SlaveNotAvailable = 11,
        FlushSlaveTimeout = 12,
        MessageIllegal = 13,
        ServiceNotAvailable = 14,
        VersionNotSupported = 15,
        NoPermission = 16,
        TopicNotExist = 17,
        TopicExistAlready = 18,
        PullNotFound = 19,
        PullRetryImmediately = 20,
        PullOffsetMoved = 21,
        QueryNotFound = 22,
        SubscriptionParseFailed = 23,
        SubscriptionNotExist = 24,
        SubscriptionNotLatest = 25,
        SubscriptionGroupNotExist = 26,
        FilterDataNotExist = 27,
        FilterDataNotLatest = 28,
        TransactionShouldCommit = 200,
        TransactionShouldRollback = 201,
        TransactionStateUnknow = 202,
        TransactionStateGroupWrong = 203,
        NoBuyerId = 204,
        NotInCurrentUnit = 205,
        ConsumerNotOnline = 206,
        ConsumeMsgTimeout = 207,
        NoMessage = 208,
        FlowControl = 215,
    }
}

/// The sender's language (`LanguageCode.java`): a name in JSON headers, a byte in binary ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LanguageCode {
    /// JAVA (0): what wasmq announces, since older Java enums lack newer names.
    #[default]
    Java,
    /// CPP (1)
    Cpp,
    /// DOTNET (2)
    Dotnet,
    /// PYTHON (3)
    Python,
    /// DELPHI (4)
    Delphi,
    /// ERLANG (5)
    Erlang,
    /// RUBY (6)
    Ruby,
    /// OTHER (7), also what an unknown name or code decodes to.
    Other,
    /// HTTP (8)
    Http,
    /// GO (9)
    Go,
    /// PHP (10)
    Php,
    /// OMS (11)
    Oms,
    /// RUST (12)
    Rust,
    /// NODE_JS (13, 5.x)
    NodeJs,
}

const LANGUAGES: [(LanguageCode, &str); 14] = [
    (LanguageCode::Java, "JAVA"),
    (LanguageCode::Cpp, "CPP"),
    (LanguageCode::Dotnet, "DOTNET"),
    (LanguageCode::Python, "PYTHON"),
    (LanguageCode::Delphi, "DELPHI"),
    (LanguageCode::Erlang, "ERLANG"),
    (LanguageCode::Ruby, "RUBY"),
    (LanguageCode::Other, "OTHER"),
    (LanguageCode::Http, "HTTP"),
    (LanguageCode::Go, "GO"),
    (LanguageCode::Php, "PHP"),
    (LanguageCode::Oms, "OMS"),
    (LanguageCode::Rust, "RUST"),
    (LanguageCode::NodeJs, "NODE_JS"),
];

impl LanguageCode {
    /// Java's enum name, as written in JSON headers.
    pub fn name(self) -> &'static str {
        LANGUAGES
            .iter()
            .find(|(l, _)| *l == self)
            .map_or("OTHER", |(_, n)| n)
    }

    /// The binary header's byte.
    pub fn code(self) -> u8 {
        LANGUAGES.iter().position(|(l, _)| *l == self).unwrap_or(7) as u8
    }

    /// Decodes a JSON header's name; unknown names are [`LanguageCode::Other`].
    pub fn from_name(name: &str) -> Self {
        LANGUAGES
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map_or(LanguageCode::Other, |(l, _)| *l)
    }

    /// Decodes a binary header's byte; unknown codes are [`LanguageCode::Other`].
    pub fn from_code(code: u8) -> Self {
        LANGUAGES
            .get(usize::from(code))
            .map_or(LanguageCode::Other, |(l, _)| *l)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for c in RequestCode::ALL {
            assert_eq!(RequestCode::from_i32(c.as_i32()), Some(*c));
        }
        for c in ResponseCode::ALL {
            assert_eq!(ResponseCode::from_i32(c.as_i32()), Some(*c));
        }
        assert_eq!(RequestCode::from_i32(217), None);
    }

    #[test]
    fn languages_round_trip() {
        for (l, n) in LANGUAGES {
            assert_eq!(LanguageCode::from_name(n), l);
            assert_eq!(LanguageCode::from_code(l.code()), l);
        }
        assert_eq!(LanguageCode::from_name("COBOL"), LanguageCode::Other);
        assert_eq!(LanguageCode::from_code(200), LanguageCode::Other);
    }
}
