//! Offset message ids (3.6): uppercase hex of `[store ip 4/16][port i32][commit-log offset i64]`.

use super::error::MessageError;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Encodes an offset message id: 32 hex chars for IPv4, 56 for IPv6.
pub fn offset_msg_id(store_host: SocketAddr, commit_log_offset: i64) -> String {
    let mut raw = Vec::with_capacity(28);
    match store_host.ip() {
        IpAddr::V4(ip) => raw.extend_from_slice(&ip.octets()),
        IpAddr::V6(ip) => raw.extend_from_slice(&ip.octets()),
    }
    raw.extend_from_slice(&i32::from(store_host.port()).to_be_bytes());
    raw.extend_from_slice(&commit_log_offset.to_be_bytes());
    let mut s = String::with_capacity(raw.len() * 2);
    for b in raw {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 0xF)]));
    }
    s
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// Decodes an offset message id into store host and commit-log offset (hex case-insensitive).
pub fn decode_offset_msg_id(id: &str) -> Result<(SocketAddr, i64), MessageError> {
    let bad = |reason| MessageError::BadMsgId {
        id: id.to_owned(),
        reason,
    };
    let b = id.as_bytes();
    if b.len() != 32 && b.len() != 56 {
        return Err(bad("length must be 32 (IPv4) or 56 (IPv6) hex chars"));
    }
    let mut raw = Vec::with_capacity(b.len() / 2);
    for pair in b.chunks_exact(2) {
        let (Some(&h), Some(&l)) = (pair.first(), pair.get(1)) else {
            return Err(bad("odd length"));
        };
        let (Some(h), Some(l)) = (nibble(h), nibble(l)) else {
            return Err(bad("not hex"));
        };
        raw.push((h << 4) | l);
    }
    let ip_len = raw.len() - 12;
    let (ip, rest) = raw.split_at(ip_len);
    let ip = match <[u8; 4]>::try_from(ip) {
        Ok(a) => IpAddr::V4(Ipv4Addr::from(a)),
        Err(_) => match <[u8; 16]>::try_from(ip) {
            Ok(a) => IpAddr::V6(Ipv6Addr::from(a)),
            Err(_) => return Err(bad("bad address length")),
        },
    };
    let (port, off) = rest.split_at(4);
    let port = <[u8; 4]>::try_from(port).map_err(|_| bad("bad port"))?;
    let off = <[u8; 8]>::try_from(off).map_err(|_| bad("bad offset"))?;
    Ok((
        SocketAddr::new(ip, i32::from_be_bytes(port) as u16),
        i64::from_be_bytes(off),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ipv4_known_value() {
        let a: SocketAddr = "10.0.0.1:10911"
            .parse()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        let id = offset_msg_id(a, 0x1234);
        assert_eq!(id, "0A00000100002A9F0000000000001234");
        assert_eq!(decode_offset_msg_id(&id), Ok((a, 0x1234)));
        assert_eq!(decode_offset_msg_id(&id.to_lowercase()), Ok((a, 0x1234)));
        assert!(decode_offset_msg_id("XYZ").is_err());
        assert!(decode_offset_msg_id("0A00000100002A9F000000000000123G").is_err());
    }

    proptest! {
        #[test]
        fn roundtrip_v4_v6(ip4 in any::<[u8; 4]>(), ip6 in any::<[u8; 16]>(), port in any::<u16>(), off in any::<i64>()) {
            let a4 = SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip4)), port);
            let a6 = SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip6)), port);
            let id4 = offset_msg_id(a4, off);
            let id6 = offset_msg_id(a6, off);
            prop_assert_eq!(id4.len(), 32);
            prop_assert_eq!(id6.len(), 56);
            prop_assert_eq!(decode_offset_msg_id(&id4), Ok((a4, off)));
            prop_assert_eq!(decode_offset_msg_id(&id6), Ok((a6, off)));
        }

        #[test]
        fn arbitrary_strings_never_panic(s in "\\PC{0,60}") {
            let _ = decode_offset_msg_id(&s);
        }
    }
}
