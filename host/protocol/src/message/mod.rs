//! Messages as RocketMQ stores and ships them: the stored record (MessageExt), properties,
//! batch bodies, message ids and tag hash codes.
