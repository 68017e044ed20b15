//! Errors of starting and running the nameserver.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Why the nameserver could not start or persist its state.
#[derive(Debug, thiserror::Error)]
pub enum NamesrvError {
    /// Binding the listen address failed.
    #[error("cannot listen on {addr}: {cause}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The socket error.
        cause: std::io::Error,
    },
    /// A file operation failed.
    #[error("cannot {what} {path}: {cause}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        cause: std::io::Error,
    },
}
