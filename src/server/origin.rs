//! The server itself: one tokio runtime, the listeners (RTMP, RTMPS, HTTP), what every
//! connection shares, and a clean stop.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;

use crate::error::{Error, Result};
use crate::hls::HlsResume;

use super::events::{IngestEvent, IngestEventKind};
use super::file_writer::{FileQueue, FileWriters};
use super::hub::Hubs;
use super::metrics::Metrics;
use super::options::{IngestOptions, SHUTDOWN_GRACE};
use super::store::ServedFiles;

type EventSink = Arc<dyn Fn(IngestEvent) + Send + Sync>;

/// Connections a listener may have waiting to be accepted: a burst of publishers (a restart
/// of a load balancer's backends) should not meet refused connections.
const ACCEPT_BACKLOG: u32 = 4096;

/// What every connection, writer thread and HTTP request shares.
pub(crate) struct Shared {
    pub(crate) options: IngestOptions,
    on_event: EventSink,
    /// Names being published, by the connection that publishes them.
    active: Mutex<HashMap<String, u64>>,
    /// Where ended publishes left their playlists, to carry them on.
    pub(crate) history: Mutex<HashMap<String, HlsResume>>,
    pub(crate) connections: AtomicUsize,
    /// Unpublish hooks still on their way: a stopping server waits for them (within its grace).
    hooks_in_flight: AtomicUsize,
    next_id: AtomicU64,
    stop: watch::Sender<bool>,
    pub(crate) hubs: Hubs,
    pub(crate) served: Arc<ServedFiles>,
    pub(crate) metrics: Metrics,
    writers: Mutex<Option<FileWriters>>,
    pub(crate) tls: Option<tokio_rustls::TlsAcceptor>,
}

impl Shared {
    pub(crate) fn emit(&self, peer: SocketAddr, kind: IngestEventKind) {
        (self.on_event)(IngestEvent { peer, kind });
    }

    pub(crate) fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// A receiver that changes to `true` when the server stops.
    pub(crate) fn stopping(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Whether the server is stopping.
    pub(crate) fn is_stopping(&self) -> bool {
        *self.stop.borrow()
    }

    /// Claims `name` for connection `id`: one publisher per name.
    pub(crate) fn claim(&self, name: &str, id: u64) -> std::result::Result<(), String> {
        let mut active = self
            .active
            .lock()
            .map_err(|_| "server state lost".to_owned())?;
        match active.get(name) {
            Some(&other) if other != id => Err(format!("{name} is already being published")),
            _ => {
                active.insert(name.to_owned(), id);
                Ok(())
            }
        }
    }

    /// Frees `name` if connection `id` holds it.
    pub(crate) fn free_name(&self, name: &str, id: u64) {
        if let Ok(mut a) = self.active.lock() {
            if a.get(name) == Some(&id) {
                a.remove(name);
            }
        }
    }

    /// A file queue for stream `name` to its writer thread, while the server runs.
    pub(crate) fn file_queue(&self, name: &str) -> Option<FileQueue> {
        self.writers
            .lock()
            .ok()?
            .as_ref()
            .map(|w| w.queue_for(name))
    }

    /// A publish's outputs are finished: the `--on-unpublish` hook is told (on the caller's
    /// event loop).
    pub(crate) fn unpublished(self: &Arc<Self>, name: &str, peer: SocketAddr) {
        if let Some(url) = self.options.hooks.on_unpublish.clone() {
            let body = super::hooks::hook_body("unpublish", name, "", peer, "rtmp");
            let shared = Arc::clone(self);
            let name = name.to_owned();
            self.hooks_in_flight.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let timeout = shared.options.hooks.timeout;
                let told = super::hooks::call(&url, body, timeout).await;
                shared.hooks_in_flight.fetch_sub(1, Ordering::SeqCst);
                if let Err(reason) = told {
                    shared.emit(
                        peer,
                        IngestEventKind::Warning {
                            message: format!("{name}: on-unpublish hook: {reason}"),
                        },
                    );
                }
            });
        }
    }

    /// Counts a connection in; `None` (and the refusal counted) when the limit is reached.
    pub(crate) fn admit(
        self: &Arc<Self>,
        peer: SocketAddr,
        protocol: &'static str,
    ) -> Option<ConnectionGuard> {
        if self.connections.load(Ordering::Relaxed) >= self.options.max_connections {
            self.metrics
                .refused
                .get_or_create(&vec![("reason", "too_many_connections")])
                .inc();
            self.emit(peer, IngestEventKind::TooManyConnections);
            return None;
        }
        self.connections.fetch_add(1, Ordering::Relaxed);
        self.metrics.open.inc();
        self.metrics
            .accepted
            .get_or_create(&vec![("protocol", protocol)])
            .inc();
        Some(ConnectionGuard {
            shared: Arc::clone(self),
        })
    }
}

/// Counts a connection out when dropped (however its task ends).
pub(crate) struct ConnectionGuard {
    shared: Arc<Shared>,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.shared.connections.fetch_sub(1, Ordering::Relaxed);
        self.shared.metrics.open.dec();
    }
}

/// One event loop: a single-threaded runtime with its own listeners (the kernel spreads new
/// connections over the loops' `SO_REUSEPORT` sockets), like nginx's workers. Nothing moves
/// between loops, so no loop wakes another for its own connections' work.
struct EventLoop {
    runtime: tokio::runtime::Runtime,
    rtmp: TcpListener,
    rtmps: Option<TcpListener>,
    http: Option<TcpListener>,
}

/// The live origin: RTMP (and RTMPS) publish and play, HTTP serving, on one event loop per
/// core.
pub struct IngestServer {
    loops: Vec<EventLoop>,
    shared: Arc<Shared>,
}

/// Stops a running [`IngestServer`] from another thread (a signal handler): it stops
/// accepting, every publish is ended (ENDLIST on its playlist, its recording committed), and
/// [`IngestServer::run`] returns.
#[derive(Clone)]
pub struct IngestStopper {
    shared: Arc<Shared>,
}

impl IngestStopper {
    /// Asks the server to stop; returns at once.
    pub fn stop(&self) {
        self.shared.stop.send_replace(true);
    }
}

/// A running server (see [`IngestServer::spawn`]).
pub struct IngestHandle {
    addr: SocketAddr,
    http: Option<SocketAddr>,
    rtmps: Option<SocketAddr>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl IngestHandle {
    /// The RTMP address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The HTTP address, with `--http`.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http
    }

    /// The RTMPS address, with TLS.
    pub fn rtmps_addr(&self) -> Option<SocketAddr> {
        self.rtmps
    }

    /// Connections open now.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::Relaxed)
    }

    /// Stops the server (every publish ended) and waits for it.
    pub fn stop(mut self) {
        self.shared.stop.send_replace(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn listen(
    addr: SocketAddr,
    what: &'static str,
    reuse_port: bool,
    first: bool,
) -> Result<TcpListener> {
    let io = |source| Error::Io {
        context: what,
        source,
    };
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(io)?;
    socket.set_reuseaddr(true).map_err(io)?;
    if reuse_port {
        // SO_REUSEPORT would also let a second muxkit bind the same port and silently share
        // the connections (and the stream names): a plain bind first says whether the port
        // is anyone else's.
        if first && addr.port() != 0 {
            std::net::TcpListener::bind(addr).map_err(io)?;
        }
        socket.set_reuseport(true).map_err(io)?;
    }
    socket.bind(addr).map_err(io)?;
    socket.listen(ACCEPT_BACKLOG).map_err(io)
}

fn addr_of(l: &TcpListener) -> Result<SocketAddr> {
    l.local_addr().map_err(|source| Error::Io {
        context: "listening",
        source,
    })
}

#[cfg(feature = "s3")]
/// The node id when none is given for a bucket output: the host name (what a load balancer's
/// backends are usually told apart by; `node` when there is none), cut to 20 characters, and
/// this process's id, so two ingests on one host, or hosts whose long names share their
/// first 20 characters, never share one.
fn default_node_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .unwrap_or_default();
    let id: String = host
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(20)
        .collect();
    let host = if id.is_empty() { "node".to_owned() } else { id };
    format!("{host}-{}", std::process::id())
}

/// A node id goes into object names: letters, digits, `-` and `_`, 1 to 32 of them.
fn check_node_id(node: &str) -> Result<()> {
    let ok = (1..=32).contains(&node.len())
        && node
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "--node-id {node:?}: use 1 to 32 letters, digits, '-' or '_' (it names objects)"
        )))
    }
}

impl IngestServer {
    /// Listens on `addr` for RTMP (and on the options' HTTP and RTMPS addresses). `on_event`
    /// gets every connection event (the CLI logs them).
    pub fn bind(
        addr: SocketAddr,
        mut options: IngestOptions,
        on_event: impl Fn(IngestEvent) + Send + Sync + 'static,
    ) -> Result<IngestServer> {
        #[cfg(feature = "s3")]
        if options.out_bucket.is_some() {
            if options.out_dir.is_some() {
                return Err(Error::InvalidUse(
                    "ingest writes to a folder or to a bucket, not both".into(),
                ));
            }
            if options.record || options.dash {
                return Err(Error::Usage(
                    "--record and --dash write to a folder: with a bucket output, only live HLS is stored (record with a second, local ingest or `muxkit convert` of an RTMP pull)".into(),
                ));
            }
            if options.node_id.is_none() {
                options.node_id = Some(default_node_id());
            }
        }
        if let Some(node) = &options.node_id {
            check_node_id(node)?;
            options.hls.name_prefix = format!("{node}-");
        }
        #[cfg(feature = "s3")]
        let has_output = options.out_dir.is_some() || options.out_bucket.is_some();
        #[cfg(not(feature = "s3"))]
        let has_output = options.out_dir.is_some();
        if !has_output && options.http.is_none() {
            return Err(Error::InvalidUse(
                "ingest needs --out, --http or both: with neither, nothing could be seen".into(),
            ));
        }
        if options.out_dir.is_none() && options.record {
            return Err(Error::InvalidUse("--record needs --out".into()));
        }
        if let Some(out) = &options.out_dir {
            std::fs::create_dir_all(out).map_err(|source| Error::File {
                path: out.clone(),
                source,
            })?;
        }
        let threads = if options.threads == 0 {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        } else {
            options.threads
        };
        let tls = match &options.tls {
            Some(t) => Some(super::tls::acceptor(&t.cert, &t.key)?),
            None => None,
        };
        let reuse = threads > 1;
        let mut loops: Vec<EventLoop> = Vec::new();
        let (mut rtmp_at, mut rtmps_at, mut http_at) =
            (addr, options.tls.as_ref().map(|t| t.listen), options.http);
        for i in 0..threads {
            let first = i == 0;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|source| Error::Io {
                    context: "starting an event loop",
                    source,
                })?;
            // Each loop's listeners on the address the first one got (port 0: one port).
            let (rtmp, rtmps, http) = runtime.block_on(async {
                let rtmp = listen(rtmp_at, "listening for rtmp", reuse, first)?;
                let rtmps = match rtmps_at {
                    Some(a) => Some(listen(a, "listening for rtmps", reuse, first)?),
                    None => None,
                };
                let http = match http_at {
                    Some(a) => Some(listen(a, "listening for http", reuse, first)?),
                    None => None,
                };
                Ok::<_, Error>((rtmp, rtmps, http))
            })?;
            rtmp_at = addr_of(&rtmp)?;
            rtmps_at = rtmps.as_ref().map(addr_of).transpose()?;
            http_at = http.as_ref().map(addr_of).transpose()?;
            loops.push(EventLoop {
                runtime,
                rtmp,
                rtmps,
                http,
            });
        }
        let (stop, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            options,
            on_event: Arc::new(on_event),
            active: Mutex::new(HashMap::new()),
            history: Mutex::new(HashMap::new()),
            connections: AtomicUsize::new(0),
            hooks_in_flight: AtomicUsize::new(0),
            next_id: AtomicU64::new(1),
            stop,
            hubs: Hubs::default(),
            served: Arc::new(ServedFiles::default()),
            metrics: Metrics::new(),
            writers: Mutex::new(Some(FileWriters::start(threads)?)),
            tls,
        });
        Ok(IngestServer { loops, shared })
    }

    /// The RTMP address.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        match self.loops.first() {
            Some(l) => addr_of(&l.rtmp),
            None => Err(Error::InvalidUse("no event loop".into())),
        }
    }

    /// The HTTP address, with [`IngestOptions::http`].
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.loops.first()?.http.as_ref()?.local_addr().ok()
    }

    /// The RTMPS address, with [`IngestOptions::tls`].
    pub fn rtmps_addr(&self) -> Option<SocketAddr> {
        self.loops.first()?.rtmps.as_ref()?.local_addr().ok()
    }

    /// A handle that stops [`IngestServer::run`] cleanly.
    pub fn stopper(&self) -> Result<IngestStopper> {
        Ok(IngestStopper {
            shared: Arc::clone(&self.shared),
        })
    }

    /// Serves until stopped through an [`IngestStopper`]; then ends every publish (up to
    /// [`SHUTDOWN_GRACE`]) and returns.
    pub fn run(self) -> Result<()> {
        let IngestServer { loops, shared } = self;
        let mut threads = Vec::new();
        let mut first = None;
        for (i, l) in loops.into_iter().enumerate() {
            if i == 0 {
                first = Some(l);
                continue;
            }
            let shared = Arc::clone(&shared);
            threads.push(
                std::thread::Builder::new()
                    .name(format!("muxkit-loop-{i}"))
                    .spawn(move || serve_loop(l, shared))
                    .map_err(|source| Error::Io {
                        context: "starting an event loop",
                        source,
                    })?,
            );
        }
        if let Some(l) = first {
            serve_loop(l, Arc::clone(&shared));
        }
        for t in threads {
            let _ = t.join();
        }
        // The writers finish what they were given (ENDLIST on every playlist), then stop.
        let writers = shared.writers.lock().ok().and_then(|mut w| w.take());
        if let Some(w) = writers {
            w.join(SHUTDOWN_GRACE);
        }
        // What the bucket streams have queued: the last segments and final playlists.
        #[cfg(feature = "s3")]
        if !crate::store::flush_all(SHUTDOWN_GRACE) {
            shared.emit(
                SocketAddr::from(([0, 0, 0, 0], 0)),
                IngestEventKind::Warning {
                    message: "stopped before every upload to the bucket finished".into(),
                },
            );
        }
        Ok(())
    }

    /// Runs the server on a thread.
    pub fn spawn(self) -> Result<IngestHandle> {
        let addr = self.local_addr()?;
        let http = self.http_addr();
        let rtmps = self.rtmps_addr();
        let shared = Arc::clone(&self.shared);
        let thread = std::thread::Builder::new()
            .name("muxkit-ingest".into())
            .spawn(move || {
                let _ = self.run();
            })
            .map_err(|source| Error::Io {
                context: "starting the server thread",
                source,
            })?;
        Ok(IngestHandle {
            addr,
            http,
            rtmps,
            shared,
            thread: Some(thread),
        })
    }
}

/// Runs one event loop until the server stops and its connections ended (or the grace ran
/// out).
fn serve_loop(l: EventLoop, shared: Arc<Shared>) {
    let EventLoop {
        runtime,
        rtmp,
        rtmps,
        http,
    } = l;
    runtime.block_on(async {
        let mut tasks = Vec::new();
        tasks.push(tokio::spawn(accept_rtmp(rtmp, Arc::clone(&shared), false)));
        if let Some(l) = rtmps {
            tasks.push(tokio::spawn(accept_rtmp(l, Arc::clone(&shared), true)));
        }
        if let Some(l) = http {
            tasks.push(tokio::spawn(super::http::accept_http(
                l,
                Arc::clone(&shared),
            )));
        }
        let mut stop = shared.stopping();
        while !*stop.borrow_and_update() {
            if stop.changed().await.is_err() {
                break;
            }
        }
        for t in tasks {
            let _ = t.await;
        }
        // Every connection ends its publish when it sees the stop.
        let deadline = Instant::now() + SHUTDOWN_GRACE;
        while (shared.connections.load(Ordering::SeqCst) > 0
            || shared.hooks_in_flight.load(Ordering::SeqCst) > 0)
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    runtime.shutdown_timeout(Duration::from_millis(100));
}

/// Accepts RTMP (or RTMPS) connections until the server stops.
async fn accept_rtmp(listener: TcpListener, shared: Arc<Shared>, tls: bool) {
    let mut stop = shared.stopping();
    let protocol = if tls { "rtmps" } else { "rtmp" };
    loop {
        let accepted = tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            a = listener.accept() => a,
        };
        let (tcp, peer) = match accepted {
            Ok(a) => a,
            // Out of file descriptors: wait for some to be freed instead of spinning.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(guard) = shared.admit(peer, protocol) else {
            drop(tcp);
            continue;
        };
        shared.emit(peer, IngestEventKind::Accepted);
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let _guard = guard;
            serve_rtmp(tcp, peer, shared, tls).await;
        });
    }
}

async fn serve_rtmp(tcp: TcpStream, peer: SocketAddr, shared: Arc<Shared>, tls: bool) {
    let _ = tcp.set_nodelay(true);
    let stream = if tls {
        // In a future of its own: the TLS handshake's state (kilobytes) is not kept in the
        // task of every connection.
        match Box::pin(tls_handshake(tcp, peer, &shared)).await {
            Some(s) => s,
            None => return,
        }
    } else {
        super::connection::RtmpStream::Plain(tcp)
    };
    super::connection::serve(stream, peer, shared).await;
}

async fn tls_handshake(
    tcp: TcpStream,
    peer: SocketAddr,
    shared: &Shared,
) -> Option<super::connection::RtmpStream> {
    let acceptor = shared.tls.clone()?;
    let message =
        match tokio::time::timeout(shared.options.handshake_timeout, acceptor.accept(tcp)).await {
            Ok(Ok(s)) => return Some(super::connection::RtmpStream::Tls(Box::new(s))),
            Ok(Err(e)) => format!("tls handshake failed: {e}"),
            Err(_) => "no tls handshake in time".to_owned(),
        };
    shared.emit(peer, IngestEventKind::Error { message });
    None
}
