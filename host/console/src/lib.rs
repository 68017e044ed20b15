//! Web console (default port 9999): cluster, topics, consumer groups, message search, plugins, throughput.
