//! RTMP (Adobe RTMP 1.0, with Enhanced RTMP media): the ingest side of a live publish.
//!
//! The protocol core is sans-IO: [`handshake`], [`chunk`] and [`session`] take bytes and
//! return bytes, messages and events, so tests and fuzzers drive exactly the code a socket
//! does. Only `muxkit::server` (the listening side) and `publisher.rs` (the pushing side) own
//! sockets.
//!
//! | file | job |
//! |---|---|
//! | handshake.rs | C0/C1/C2 and S0/S1/S2, simple and complex (digest schemes 0 and 1) |
//! | chunk.rs | chunk stream decoder and encoder, with named limits |
//! | message.rs | message types, protocol and user control messages |
//! | command.rs | AMF commands and data messages |
//! | session.rs | the server-side state machine: connect, publish or play, media into packets |
//! | client.rs | the publishing side, sans-IO |
//! | play_client.rs | the playing side, sans-IO (`muxkit publish rtmp://...` pulls with it) |
//! | publisher.rs | `muxkit publish`: an input pushed to a server, paced by its timestamps |
//! | relay.rs | `muxkit publish rtmp://SOURCE rtmp://TARGET`: a live stream pulled and pushed on |

pub mod chunk;
pub mod client;
pub mod command;
mod error;
pub mod handshake;
pub mod message;
pub mod play_client;
mod publisher;
mod relay;
pub mod session;

pub use error::RtmpError;
pub use message::{MessageType, RtmpMessage};
pub use publisher::{PUBLISH_HANDSHAKE_TIMEOUT, PublishStats, collect_tags, publish};
pub use relay::{PULL_IDLE_TIMEOUT, relay};
pub use session::{PublishGate, ServerSession, SessionConfig, SessionEvent};
