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
use super::hub::Hubs;
use super::metrics::Metrics;
use super::options::{IngestOptions, SHUTDOWN_GRACE};
use super::publish_writer::WriterPool;
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
    next_id: AtomicU64,
    stop: watch::Sender<bool>,
    pub(crate) hubs: Hubs,
    pub(crate) served: Arc<ServedFiles>,
    pub(crate) metrics: Metrics,
    writers: Mutex<Option<WriterPool>>,
    pub(crate) runtime: tokio::runtime::Handle,
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

    /// The writer queue of `name`, while the server runs.
    pub(crate) fn writer_for(
        &self,
        name: &str,
    ) -> Option<tokio::sync::mpsc::Sender<super::publish_writer::WriterJob>> {
        self.writers
            .lock()
            .ok()?
            .as_ref()
            .map(|pool| pool.for_name(name))
    }

    /// A publish's outputs are finished: the `--on-unpublish` hook is told.
    pub(crate) fn unpublished(self: &Arc<Self>, name: &str, peer: SocketAddr) {
        if let Some(url) = self.options.hooks.on_unpublish.clone() {
            let body = super::hooks::hook_body("unpublish", name, "", peer, "rtmp");
            let shared = Arc::clone(self);
            let name = name.to_owned();
            self.runtime.spawn(async move {
                let timeout = shared.options.hooks.timeout;
                if let Err(reason) = super::hooks::call(&url, body, timeout).await {
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

/// The live origin: RTMP (and RTMPS) publish and play, HTTP serving, on one event loop.
pub struct IngestServer {
    runtime: tokio::runtime::Runtime,
    rtmp: TcpListener,
    rtmps: Option<TcpListener>,
    http: Option<TcpListener>,
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

fn listen(addr: SocketAddr, what: &'static str) -> Result<TcpListener> {
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
    socket.bind(addr).map_err(io)?;
    socket.listen(ACCEPT_BACKLOG).map_err(io)
}

fn addr_of(l: &TcpListener) -> Result<SocketAddr> {
    l.local_addr().map_err(|source| Error::Io {
        context: "listening",
        source,
    })
}

impl IngestServer {
    /// Listens on `addr` for RTMP (and on the options' HTTP and RTMPS addresses). `on_event`
    /// gets every connection event (the CLI logs them).
    pub fn bind(
        addr: SocketAddr,
        options: IngestOptions,
        on_event: impl Fn(IngestEvent) + Send + Sync + 'static,
    ) -> Result<IngestServer> {
        if options.out_dir.is_none() && options.http.is_none() {
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
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("muxkit-io")
            .enable_all()
            .build()
            .map_err(|source| Error::Io {
                context: "starting the event loop",
                source,
            })?;
        let tls = match &options.tls {
            Some(t) => Some(super::tls::acceptor(&t.cert, &t.key)?),
            None => None,
        };
        let (rtmp, rtmps, http) = runtime.block_on(async {
            let rtmp = listen(addr, "listening for rtmp")?;
            let rtmps = match &options.tls {
                Some(t) => Some(listen(t.listen, "listening for rtmps")?),
                None => None,
            };
            let http = match options.http {
                Some(a) => Some(listen(a, "listening for http")?),
                None => None,
            };
            Ok::<_, Error>((rtmp, rtmps, http))
        })?;
        let (stop, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            options,
            on_event: Arc::new(on_event),
            active: Mutex::new(HashMap::new()),
            history: Mutex::new(HashMap::new()),
            connections: AtomicUsize::new(0),
            next_id: AtomicU64::new(1),
            stop,
            hubs: Hubs::default(),
            served: Arc::new(ServedFiles::default()),
            metrics: Metrics::new(),
            writers: Mutex::new(None),
            runtime: runtime.handle().clone(),
            tls,
        });
        // Disk work gets threads of its own, one per event-loop thread.
        let pool = WriterPool::start(threads, &shared)?;
        if let Ok(mut w) = shared.writers.lock() {
            *w = Some(pool);
        }
        Ok(IngestServer {
            runtime,
            rtmp,
            rtmps,
            http,
            shared,
        })
    }

    /// The RTMP address.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        addr_of(&self.rtmp)
    }

    /// The HTTP address, with [`IngestOptions::http`].
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The RTMPS address, with [`IngestOptions::tls`].
    pub fn rtmps_addr(&self) -> Option<SocketAddr> {
        self.rtmps.as_ref().and_then(|l| l.local_addr().ok())
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
        let IngestServer {
            runtime,
            rtmp,
            rtmps,
            http,
            shared,
        } = self;
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
            while shared.connections.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        // The writers finish what they were given (ENDLIST on every playlist), then stop.
        // Dropping the runtime drops the connections' queues to them.
        let pool = shared.writers.lock().ok().and_then(|mut w| w.take());
        runtime.shutdown_timeout(Duration::from_millis(100));
        if let Some(pool) = pool {
            pool.join(SHUTDOWN_GRACE);
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

/// Accepts RTMP (or RTMPS) connections until the server stops.
async fn accept_rtmp(listener: TcpListener, shared: Arc<Shared>, tls: bool) {
    let mut stop = shared.stopping();
    let protocol = if tls { "rtmps" } else { "rtmp" };
    loop {
        let accepted = tokio::select! {
            _ = stop.changed() => return,
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
        let Some(acceptor) = shared.tls.clone() else {
            return;
        };
        match tokio::time::timeout(shared.options.handshake_timeout, acceptor.accept(tcp)).await {
            Ok(Ok(s)) => super::connection::RtmpStream::Tls(Box::new(s)),
            Ok(Err(e)) => {
                shared.emit(
                    peer,
                    IngestEventKind::Error {
                        message: format!("tls handshake failed: {e}"),
                    },
                );
                return;
            }
            Err(_) => {
                shared.emit(
                    peer,
                    IngestEventKind::Error {
                        message: "no tls handshake in time".into(),
                    },
                );
                return;
            }
        }
    } else {
        super::connection::RtmpStream::Plain(tcp)
    };
    super::connection::serve(stream, peer, shared).await;
}
