//! A real S3 server for tests: `s3s-fs` (an S3 protocol server over a folder, pinned and
//! installed by .ci/run) started on 127.0.0.1, and a TCP proxy in front of it that can be
//! slowed down or cut, for fault injection.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub const ACCESS_KEY: &str = "muxkit-test";
pub const SECRET_KEY: &str = "muxkit-test-secret";

/// The s3s-fs binary: `MUXKIT_S3S_FS`, else `s3s-fs` on the PATH or in ~/.cargo/bin. `None`
/// (with a SKIPPED line) when there is none, a failure under `MUXKIT_REQUIRE_S3` (CI).
pub fn s3s_fs(test: &str) -> Option<PathBuf> {
    let candidates = std::env::var_os("MUXKIT_S3S_FS")
        .map(PathBuf::from)
        .into_iter()
        .chain(Some(PathBuf::from("s3s-fs")))
        .chain(std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo/bin/s3s-fs")));
    for c in candidates {
        if Command::new(&c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return Some(c);
        }
    }
    if std::env::var_os("MUXKIT_REQUIRE_S3").is_some() {
        panic!("{test}: s3s-fs not found but MUXKIT_REQUIRE_S3 is set");
    }
    super::skip_notice(&format!(
        "{test}: s3s-fs not installed (cargo install s3s-fs@0.14.1 --features binary --locked)"
    ));
    None
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16) {
    let t0 = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "s3s-fs did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// An s3s-fs process over a folder of its own; buckets are folders in it.
pub struct S3Server {
    binary: PathBuf,
    child: Option<Child>,
    pub port: u16,
    pub root: PathBuf,
}

impl S3Server {
    /// Starts a server (None when s3s-fs is not installed, see [`s3s_fs`]).
    pub fn start(test: &str) -> Option<S3Server> {
        let binary = s3s_fs(test)?;
        let root = std::env::temp_dir().join(format!(
            "muxkit-s3-{test}-{}-{}",
            std::process::id(),
            free_port()
        ));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let mut server = S3Server {
            binary,
            child: None,
            port: free_port(),
            root,
        };
        server.restart();
        Some(server)
    }

    /// Starts the process again (on the same port and folder) after [`S3Server::stop`].
    pub fn restart(&mut self) {
        let child = Command::new(&self.binary)
            .args(["--host", "127.0.0.1", "--port"])
            .arg(self.port.to_string())
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(&self.root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        wait_for_port(self.port);
    }

    /// Kills the process (a server that went away).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Creates a bucket.
    pub fn bucket(&self, name: &str) {
        std::fs::create_dir_all(self.root.join(name)).unwrap();
    }

    /// The server's own copy of an object (what it would serve), for listings in tests.
    pub fn stored(&self, bucket: &str, key: &str) -> PathBuf {
        self.root.join(bucket).join(key)
    }

    /// Keys under `prefix` in `bucket`, sorted (s3s-fs keeps its bookkeeping out of them).
    pub fn keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let base = self.root.join(bucket);
        let mut out = Vec::new();
        let mut stack = vec![base.join(prefix)];
        while let Some(dir) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p
                        .strip_prefix(&base)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned();
                    if !rel.contains(".s3s") && !rel.ends_with(".tmp") {
                        out.push(rel);
                    }
                }
            }
        }
        out.sort();
        out
    }

    /// The environment a muxkit process needs to reach this server through `port` (the
    /// server's own, or a proxy's).
    pub fn env_via(&self, port: u16) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY.into()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}")),
        ]
    }

    /// [`S3Server::env_via`] the server's own port.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        self.env_via(self.port)
    }

    /// A presigned GET URL of an object (valid for an hour), for ffprobe and curl.
    pub fn presigned(&self, bucket: &str, key: &str) -> String {
        use object_store::signer::{Method, Signer};
        let s3 = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region("us-east-1")
            .with_access_key_id(ACCESS_KEY)
            .with_secret_access_key(SECRET_KEY)
            .with_endpoint(format!("http://127.0.0.1:{}", self.port))
            .with_allow_http(true)
            .build()
            .unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(s3.signed_url(
            Method::GET,
            &object_store::path::Path::from(key),
            Duration::from_secs(3600),
        ))
        .unwrap()
        .to_string()
    }

    /// Downloads an object over HTTP (curl, through a presigned URL) into `dest`.
    pub fn download(&self, bucket: &str, key: &str, dest: &Path) {
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        let o = Command::new("curl")
            .args(["-sSf", "-o"])
            .arg(dest)
            .arg(self.presigned(bucket, key))
            .output()
            .expect("run curl");
        assert!(
            o.status.success(),
            "curl {bucket}/{key}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }

    /// Downloads every object under `prefix` into `dest`, keeping their relative names.
    pub fn download_prefix(&self, bucket: &str, prefix: &str, dest: &Path) -> Vec<String> {
        let keys = self.keys(bucket, prefix);
        for k in &keys {
            let rel = k.strip_prefix(prefix).unwrap().trim_start_matches('/');
            self.download(bucket, k, &dest.join(rel));
        }
        keys
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// A TCP proxy in front of a server: every chunk forwarded after `delay_ms`, or nothing
/// forwarded while `cut` (open connections are dropped and new ones closed at once).
pub struct FaultProxy {
    pub port: u16,
    pub delay_ms: Arc<AtomicU64>,
    pub cut: Arc<AtomicBool>,
}

impl FaultProxy {
    pub fn start(target: u16) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let delay_ms = Arc::new(AtomicU64::new(0));
        let cut = Arc::new(AtomicBool::new(false));
        let (d, c) = (delay_ms.clone(), cut.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if c.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                for (from, to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    let (d, c) = (d.clone(), c.clone());
                    std::thread::spawn(move || pump(from, to, &d, &c));
                }
            }
        });
        FaultProxy {
            port,
            delay_ms,
            cut,
        }
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, delay_ms: &AtomicU64, cut: &AtomicBool) {
    let mut buf = vec![0u8; 16 * 1024];
    from.set_read_timeout(Some(Duration::from_millis(100))).ok();
    loop {
        if cut.load(Ordering::SeqCst) {
            break;
        }
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            Err(_) => break,
        };
        let d = delay_ms.load(Ordering::SeqCst);
        if d > 0 {
            std::thread::sleep(Duration::from_millis(d));
        }
        if cut.load(Ordering::SeqCst) || to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = from.shutdown(std::net::Shutdown::Both);
    let _ = to.shutdown(std::net::Shutdown::Both);
}
