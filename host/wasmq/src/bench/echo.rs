//! The baseline: a raw TCP server answering each frame with a send response, doing nothing else.
//!
//! It reads whole frames, takes the request's `opaque` and `flag` from the JSON header with a byte
//! scan (no JSON parsing), answers every request but oneway ones with a pre-built response carrying
//! that opaque: the loopback's cost for this traffic plus the least framing work any broker must do.

use std::net::SocketAddr;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wasmq_protocol::header::broker::SendMessageResponseHeader;
use wasmq_protocol::{RemotingCommand, frame};

/// A running echo server; stops when dropped.
#[derive(Debug)]
pub struct EchoServer {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl EchoServer {
    /// Binds a free loopback port and serves.
    pub async fn start() -> anyhow::Result<EchoServer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream));
            }
        });
        Ok(EchoServer { addr, task })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

async fn serve(mut stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut inbuf = BytesMut::with_capacity(64 * 1024);
    let mut out = BytesMut::with_capacity(64 * 1024);
    loop {
        match stream.read_buf(&mut inbuf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        while let Ok(Some(n)) = frame::check(&inbuf) {
            let head = header_of(&inbuf[..n]);
            let opaque = find_int(head, b"\"opaque\":").unwrap_or(0);
            let flag = find_int(head, b"\"flag\":").unwrap_or(0);
            inbuf.advance(n);
            if flag & ONEWAY_FLAG == 0 {
                respond(opaque, &mut out);
            }
        }
        if !out.is_empty() {
            if stream.write_all(&out).await.is_err() {
                return;
            }
            out.clear();
        }
    }
}

fn respond(opaque: i32, out: &mut BytesMut) {
    let header = SendMessageResponseHeader {
        msg_id: "7F00000100002A9F0000000000000000".into(),
        queue_id: 0,
        queue_offset: 0,
        transaction_id: None,
    };
    let mut resp = RemotingCommand::success().with_header(&header);
    resp.opaque = opaque;
    let _ = frame::encode(&resp, out);
}

/// The header of a whole frame: `length i32 | serialize type u8 + header length u24 | header | body`.
fn header_of(frame: &[u8]) -> &[u8] {
    let len = frame.get(5..8).map_or(0, |b| {
        usize::from(b[0]) << 16 | usize::from(b[1]) << 8 | usize::from(b[2])
    });
    frame.get(8..8 + len).unwrap_or(frame)
}

/// The remoting flag bit of a oneway request (never answered).
const ONEWAY_FLAG: i32 = 2;

/// Finds `"key":N` (key given with its quotes and colon) in a JSON header without parsing it.
fn find_int(frame: &[u8], key: &[u8]) -> Option<i32> {
    let at = frame.windows(key.len()).position(|w| w == key)? + key.len();
    let digits: String = frame
        .get(at..)?
        .iter()
        .take_while(|b| b.is_ascii_digit() || **b == b'-')
        .map(|b| char::from(*b))
        .collect();
    digits.parse().ok()
}
