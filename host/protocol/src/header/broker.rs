//! Typed headers of the requests the broker serves (send, pull, offsets, clients, admin, ...).
