//! Admin client library: the requests Apache RocketMQ's mqadmin sends, as async calls with typed results.
