//! What happened on a connection, for the caller to log (the library prints nothing).

use std::net::SocketAddr;
use std::path::PathBuf;

/// Something that happened on a connection.
#[derive(Clone, Debug, PartialEq)]
pub struct IngestEvent {
    /// The peer.
    pub peer: SocketAddr,
    /// What happened.
    pub kind: IngestEventKind,
}

/// The kinds of [`IngestEvent`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum IngestEventKind {
    /// A TCP connection was accepted.
    Accepted,
    /// Refused on accept: too many connections.
    TooManyConnections,
    /// `connect` to an app.
    Connected {
        /// The application.
        app: String,
    },
    /// A publish started (`republish`: the name was published before and its playlist goes on).
    Publishing {
        /// `APP/STREAM`.
        name: String,
        /// The playlist (a path under `--out`, or the served path in memory).
        playlist: PathBuf,
        /// The name was published before in this server's life.
        republish: bool,
    },
    /// A publish or a play was refused.
    Refused {
        /// Why.
        reason: String,
    },
    /// A publish ended (`reason`: unpublished, disconnected, idle, error).
    Unpublished {
        /// `APP/STREAM`.
        name: String,
        /// Why it ended.
        reason: String,
    },
    /// A viewer started (`via`: rtmp, http-flv).
    Playing {
        /// `APP/STREAM`.
        name: String,
        /// rtmp or http-flv.
        via: &'static str,
    },
    /// A viewer stopped.
    Stopped {
        /// `APP/STREAM`.
        name: String,
        /// Why: the publish ended, the viewer left, it could not keep up.
        reason: String,
    },
    /// A `--forward` target: connected, lost, retrying.
    Forward {
        /// `APP/STREAM`.
        name: String,
        /// The target URL.
        target: String,
        /// What happened.
        message: String,
    },
    /// The connection failed (protocol error, limit, timeout).
    Error {
        /// What.
        message: String,
    },
    /// Something odd that did not end the connection.
    Warning {
        /// What.
        message: String,
    },
    /// The connection closed.
    Closed,
}
