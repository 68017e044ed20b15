//! Bodies of broker requests and responses (heartbeat, lock batch, consumer list, topic config, ...).
