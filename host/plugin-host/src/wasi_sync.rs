//! Synchronous `wasi:io/streams` and `wasi:io/poll` that never enter tokio, shadowing wasmtime-wasi's.
//!
//! wasmtime-wasi's sync bindings run their async stream operations with `Handle::block_on` on the
//! current tokio runtime, which panics when the caller is itself a tokio task (as the broker's
//! request handlers are). Our streams (stdout/stderr into the log, closed stdin) are always ready,
//! so polling each operation's future with a no-op waker completes it; anything that would really
//! block (a plugin sleeping or waiting on a pollable) traps instead of stalling the broker thread.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use wasmtime::component::{HasData, Resource, ResourceTable};
use wasmtime_wasi::p2::bindings::sync::io::poll::{self as sync_poll, Pollable};
use wasmtime_wasi::p2::bindings::sync::io::streams::{self, InputStream, OutputStream};
use wasmtime_wasi::p2::{StreamError, StreamResult};
use wasmtime_wasi_io::bindings::wasi::io::poll as async_poll;
use wasmtime_wasi_io::bindings::wasi::io::streams::{
    HostInputStream as AsyncHostInputStream, HostOutputStream as AsyncHostOutputStream,
};

/// `HasData` marker for the shadowing bindings.
pub(crate) struct SyncIo;

impl HasData for SyncIo {
    type Data<'a> = SyncTable<'a>;
}

/// The store's resource table, seen through the synchronous implementations below.
pub(crate) struct SyncTable<'a>(pub &'a mut ResourceTable);

const WOULD_BLOCK: &str =
    "plugin would block on a host stream or pollable (blocking is not allowed)";

/// Completes a future that is ready without waiting; `None` if it would block.
fn now<F: Future>(f: F) -> Option<F::Output> {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    (0..64).find_map(|_| match f.as_mut().poll(&mut cx) {
        Poll::Ready(v) => Some(v),
        Poll::Pending => None,
    })
}

fn stream_now<T>(f: impl Future<Output = StreamResult<T>>) -> StreamResult<T> {
    now(f).unwrap_or_else(|| Err(StreamError::trap(WOULD_BLOCK)))
}

fn result_now<T>(f: impl Future<Output = wasmtime::Result<T>>) -> wasmtime::Result<T> {
    now(f).unwrap_or_else(|| Err(wasmtime::format_err!("{WOULD_BLOCK}")))
}

impl streams::Host for SyncTable<'_> {
    fn convert_stream_error(&mut self, err: StreamError) -> wasmtime::Result<streams::StreamError> {
        streams::Host::convert_stream_error(&mut *self.0, err)
    }
}

impl streams::HostOutputStream for SyncTable<'_> {
    fn drop(&mut self, stream: Resource<OutputStream>) -> wasmtime::Result<()> {
        result_now(AsyncHostOutputStream::drop(&mut *self.0, stream))
    }

    fn check_write(&mut self, stream: Resource<OutputStream>) -> StreamResult<u64> {
        AsyncHostOutputStream::check_write(&mut *self.0, stream)
    }

    fn write(&mut self, stream: Resource<OutputStream>, bytes: Vec<u8>) -> StreamResult<()> {
        AsyncHostOutputStream::write(&mut *self.0, stream, bytes)
    }

    fn blocking_write_and_flush(
        &mut self,
        stream: Resource<OutputStream>,
        bytes: Vec<u8>,
    ) -> StreamResult<()> {
        stream_now(AsyncHostOutputStream::blocking_write_and_flush(
            &mut *self.0,
            stream,
            bytes,
        ))
    }

    fn blocking_write_zeroes_and_flush(
        &mut self,
        stream: Resource<OutputStream>,
        len: u64,
    ) -> StreamResult<()> {
        stream_now(AsyncHostOutputStream::blocking_write_zeroes_and_flush(
            &mut *self.0,
            stream,
            len,
        ))
    }

    fn subscribe(
        &mut self,
        stream: Resource<OutputStream>,
    ) -> wasmtime::Result<Resource<Pollable>> {
        AsyncHostOutputStream::subscribe(&mut *self.0, stream)
    }

    fn write_zeroes(&mut self, stream: Resource<OutputStream>, len: u64) -> StreamResult<()> {
        AsyncHostOutputStream::write_zeroes(&mut *self.0, stream, len)
    }

    fn flush(&mut self, stream: Resource<OutputStream>) -> StreamResult<()> {
        AsyncHostOutputStream::flush(&mut *self.0, stream)
    }

    fn blocking_flush(&mut self, stream: Resource<OutputStream>) -> StreamResult<()> {
        stream_now(AsyncHostOutputStream::blocking_flush(&mut *self.0, stream))
    }

    fn splice(
        &mut self,
        dst: Resource<OutputStream>,
        src: Resource<InputStream>,
        len: u64,
    ) -> StreamResult<u64> {
        AsyncHostOutputStream::splice(&mut *self.0, dst, src, len)
    }

    fn blocking_splice(
        &mut self,
        dst: Resource<OutputStream>,
        src: Resource<InputStream>,
        len: u64,
    ) -> StreamResult<u64> {
        stream_now(AsyncHostOutputStream::blocking_splice(
            &mut *self.0,
            dst,
            src,
            len,
        ))
    }
}

impl streams::HostInputStream for SyncTable<'_> {
    fn drop(&mut self, stream: Resource<InputStream>) -> wasmtime::Result<()> {
        result_now(AsyncHostInputStream::drop(&mut *self.0, stream))
    }

    fn read(&mut self, stream: Resource<InputStream>, len: u64) -> StreamResult<Vec<u8>> {
        AsyncHostInputStream::read(&mut *self.0, stream, len)
    }

    fn blocking_read(&mut self, stream: Resource<InputStream>, len: u64) -> StreamResult<Vec<u8>> {
        stream_now(AsyncHostInputStream::blocking_read(
            &mut *self.0,
            stream,
            len,
        ))
    }

    fn skip(&mut self, stream: Resource<InputStream>, len: u64) -> StreamResult<u64> {
        AsyncHostInputStream::skip(&mut *self.0, stream, len)
    }

    fn blocking_skip(&mut self, stream: Resource<InputStream>, len: u64) -> StreamResult<u64> {
        stream_now(AsyncHostInputStream::blocking_skip(
            &mut *self.0,
            stream,
            len,
        ))
    }

    fn subscribe(&mut self, stream: Resource<InputStream>) -> wasmtime::Result<Resource<Pollable>> {
        AsyncHostInputStream::subscribe(&mut *self.0, stream)
    }
}

impl sync_poll::Host for SyncTable<'_> {
    fn poll(&mut self, pollables: Vec<Resource<Pollable>>) -> wasmtime::Result<Vec<u32>> {
        result_now(async_poll::Host::poll(&mut *self.0, pollables))
    }
}

impl sync_poll::HostPollable for SyncTable<'_> {
    fn ready(&mut self, pollable: Resource<Pollable>) -> wasmtime::Result<bool> {
        result_now(async_poll::HostPollable::ready(&mut *self.0, pollable))
    }

    fn block(&mut self, pollable: Resource<Pollable>) -> wasmtime::Result<()> {
        result_now(async_poll::HostPollable::block(&mut *self.0, pollable))
    }

    fn drop(&mut self, pollable: Resource<Pollable>) -> wasmtime::Result<()> {
        async_poll::HostPollable::drop(&mut *self.0, pollable)
    }
}
