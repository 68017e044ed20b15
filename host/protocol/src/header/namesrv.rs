//! Typed headers of the requests the nameserver serves (register, route, KV config, ...).
