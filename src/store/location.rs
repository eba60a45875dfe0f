//! Where an input or output is: a local path or an object URL, and the store behind a URL.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use object_store::ObjectStore;
use object_store::multipart::MultipartStore;
use object_store::path::Path as ObjectPath;

use super::retry::{RetryLog, RetryPolicy};
use crate::error::{Error, Result};

/// How object storage is reached: timeouts and retries. Credentials, region and endpoint come
/// from the environment, as every S3/GCS/Azure tool reads them (`AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT_URL` for an S3-compatible server,
/// `GOOGLE_SERVICE_ACCOUNT`, `AZURE_STORAGE_ACCOUNT_NAME`, ...).
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// Retries of a failed request, and the pauses between them.
    pub retry: RetryPolicy,
    /// How long one request may take, body included, before it counts as failed.
    pub timeout: Duration,
    /// How long connecting may take.
    pub connect_timeout: Duration,
    /// Bytes per ranged GET of an input (default 8 MiB: request overhead is noise, and
    /// [`super::READ_AHEAD`] of them in flight keep a fast link busy).
    pub read_block: u64,
    /// Objects larger than this are uploaded in parts (default
    /// [`super::MULTIPART_THRESHOLD`]).
    pub multipart_threshold: usize,
    /// Settings applied over the environment's, by object_store's names
    /// (`aws_endpoint`, `aws_access_key_id`, `google_service_account`,
    /// `azure_storage_account_name`...), for a program that configures its store itself.
    pub config: Vec<(String, String)>,
}

impl Default for StoreOptions {
    fn default() -> StoreOptions {
        StoreOptions {
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(5),
            read_block: super::read::READ_BLOCK,
            multipart_threshold: super::MULTIPART_THRESHOLD,
            config: Vec::new(),
        }
    }
}

impl StoreOptions {
    /// The defaults, changed by `MUXKIT_STORE_RETRIES` (retries per request, default 5) and
    /// `MUXKIT_STORE_TIMEOUT` (seconds per request, default 60), `MUXKIT_STORE_BLOCK_MIB`
    /// (MiB per ranged GET, default 8) and `MUXKIT_STORE_MULTIPART_MIB` (uploads larger than
    /// this go in parts, default 64) when set.
    pub fn from_env() -> Result<StoreOptions> {
        let mut options = StoreOptions::default();
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        if let Some(v) = var("MUXKIT_STORE_RETRIES") {
            options.retry.retries = v.parse().map_err(|_| {
                Error::Usage(format!(
                    "MUXKIT_STORE_RETRIES={v:?}: not a number of retries"
                ))
            })?;
        }
        if let Some(v) = var("MUXKIT_STORE_TIMEOUT") {
            let secs: f64 = v
                .parse()
                .ok()
                .filter(|s: &f64| s.is_finite() && *s > 0.0)
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "MUXKIT_STORE_TIMEOUT={v:?}: not a number of seconds"
                    ))
                })?;
            options.timeout = Duration::from_secs_f64(secs);
        }
        if let Some(v) = var("MUXKIT_STORE_BLOCK_MIB") {
            let mib: u64 = v
                .parse()
                .ok()
                .filter(|m| (1..=1024).contains(m))
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "MUXKIT_STORE_BLOCK_MIB={v:?}: not a size in MiB (1 to 1024)"
                    ))
                })?;
            options.read_block = mib << 20;
        }
        if let Some(v) = var("MUXKIT_STORE_MULTIPART_MIB") {
            let mib: usize = v
                .parse()
                .ok()
                .filter(|m| (5..=5120).contains(m))
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "MUXKIT_STORE_MULTIPART_MIB={v:?}: not a size in MiB (5 to 5120)"
                    ))
                })?;
            options.multipart_threshold = mib << 20;
        }
        Ok(options)
    }
}

/// An object, or a prefix of objects, in a bucket: `s3://BUCKET/KEY`, `gs://BUCKET/KEY`,
/// `az://CONTAINER/KEY`, with the store that serves it.
#[derive(Clone)]
pub struct ObjectUrl {
    pub(crate) store: Arc<dyn ObjectStore>,
    /// The same store's part-level multipart access (S3, GCS and Azure all have it), so a
    /// failed part is sent again alone.
    pub(crate) parts: Option<Arc<dyn MultipartStore>>,
    /// `scheme://bucket`, for messages.
    bucket_url: String,
    /// The key (or prefix), without a leading or trailing `/`.
    key: String,
    pub(crate) retry: RetryPolicy,
    pub(crate) log: RetryLog,
    pub(crate) read_block: u64,
    pub(crate) multipart_threshold: usize,
    /// The URL ended in `/`: a prefix, whatever its last part looks like.
    trailing_slash: bool,
}

impl fmt::Debug for ObjectUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectUrl({self})")
    }
}

impl fmt::Display for ObjectUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}", self.bucket_url)
        } else {
            write!(f, "{}/{}", self.bucket_url, self.key)
        }
    }
}

impl PartialEq for ObjectUrl {
    fn eq(&self, other: &ObjectUrl) -> bool {
        self.bucket_url == other.bucket_url && self.key == other.key
    }
}

impl Eq for ObjectUrl {}

/// object_store's names for the S3 endpoint (not the STS or metadata ones).
const ENDPOINT_KEYS: [&str; 5] = [
    "aws_endpoint",
    "aws_endpoint_url",
    "aws_endpoint_url_s3",
    "endpoint",
    "endpoint_url",
];

/// The URL schemes muxkit reads as object storage.
const SCHEMES: [&str; 5] = ["s3://", "s3a://", "gs://", "az://", "abfs://"];

impl ObjectUrl {
    /// Whether `arg` names object storage rather than a local path.
    pub fn is_object_url(arg: &str) -> bool {
        SCHEMES.iter().any(|s| {
            arg.get(..s.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(s))
        })
    }

    /// Parses `s3://BUCKET/KEY` (or `gs://`, `az://`) and builds its store from the
    /// environment. Nothing is requested yet.
    pub fn parse(arg: &str, options: &StoreOptions) -> Result<ObjectUrl> {
        let bad = |why: &str| Error::Usage(format!("{arg}: {why}"));
        let url = url::Url::parse(arg).map_err(|e| bad(&format!("not a URL ({e})")))?;
        let bucket = url
            .host_str()
            .filter(|b| !b.is_empty())
            .ok_or_else(|| bad("no bucket named (s3://BUCKET/KEY)"))?
            .to_owned();
        let scheme = url.scheme().to_ascii_lowercase();
        // The key as written: the URL parser would resolve `..` away and percent-encode
        // spaces, and an object key is neither a URL path nor encoded.
        let after_scheme = arg.split_once("://").map_or("", |(_, rest)| rest);
        let key = after_scheme
            .split_once('/')
            .map_or("", |(_, k)| k)
            .trim_matches('/')
            .to_owned();
        if key.split('/').any(|part| part == "." || part == "..") {
            return Err(bad("`.` and `..` are not parts of an object key"));
        }
        if !key.is_empty() {
            ObjectPath::parse(&key).map_err(|e| bad(&format!("not an object key ({e})")))?;
        }
        let retry_off = object_store::RetryConfig {
            max_retries: 0,
            ..object_store::RetryConfig::default()
        };
        let client = object_store::ClientOptions::new()
            .with_timeout(options.timeout)
            .with_connect_timeout(options.connect_timeout);
        let unknown =
            |k: &str| Error::Usage(format!("{arg}: {k:?} is not a setting of this store"));
        type Built = (Arc<dyn ObjectStore>, Arc<dyn MultipartStore>);
        fn both<S: ObjectStore + MultipartStore>(s: S) -> Built {
            let s = Arc::new(s);
            (s.clone(), s)
        }
        let built: std::result::Result<Built, object_store::Error> = match scheme.as_str() {
            "s3" | "s3a" => {
                let mut b = object_store::aws::AmazonS3Builder::from_env()
                    .with_bucket_name(&bucket)
                    .with_retry(retry_off)
                    .with_client_options(client);
                for (k, v) in &options.config {
                    b = b.with_config(k.parse().map_err(|_| unknown(k))?, v);
                }
                // An S3-compatible server on plain HTTP (a test server, MinIO on a LAN)
                // is named by its endpoint; the builder refuses HTTP unless told.
                let endpoint = options
                    .config
                    .iter()
                    .find(|(k, _)| ENDPOINT_KEYS.contains(&k.as_str()))
                    .map(|(_, v)| v.clone())
                    .or_else(|| std::env::var("AWS_ENDPOINT_URL_S3").ok())
                    .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
                    .or_else(|| std::env::var("AWS_ENDPOINT").ok())
                    .unwrap_or_default();
                if endpoint.starts_with("http://") {
                    b = b.with_allow_http(true);
                }
                b.build().map(both)
            }
            "gs" => {
                // An emulator (`GOOGLE_BASE_URL=http://...`, `GOOGLE_SKIP_SIGNATURE=true`)
                // speaks plain HTTP.
                let base = options
                    .config
                    .iter()
                    .find(|(k, _)| matches!(k.as_str(), "google_base_url" | "base_url"))
                    .map(|(_, v)| v.clone())
                    .or_else(|| std::env::var("GOOGLE_BASE_URL").ok())
                    .unwrap_or_default();
                let client = client.with_allow_http(base.starts_with("http://"));
                let mut b = object_store::gcp::GoogleCloudStorageBuilder::from_env()
                    .with_bucket_name(&bucket)
                    .with_retry(retry_off)
                    .with_client_options(client);
                for (k, v) in &options.config {
                    b = b.with_config(k.parse().map_err(|_| unknown(k))?, v);
                }
                b.build().map(both)
            }
            "az" | "abfs" => {
                let mut b = object_store::azure::MicrosoftAzureBuilder::from_env()
                    .with_container_name(&bucket)
                    .with_retry(retry_off)
                    .with_client_options(client);
                for (k, v) in &options.config {
                    b = b.with_config(k.parse().map_err(|_| unknown(k))?, v);
                }
                b.build().map(both)
            }
            _ => return Err(bad("not an object storage URL (s3://, gs://, az://)")),
        };
        let (store, parts) = built.map_err(|e| Error::Storage {
            url: arg.to_owned(),
            message: format!("cannot set up the client: {e}"),
            transient: false,
        })?;
        Ok(ObjectUrl {
            store,
            parts: Some(parts),
            bucket_url: format!("{scheme}://{bucket}"),
            key,
            retry: options.retry.clone(),
            log: RetryLog::default(),
            read_block: options.read_block.max(1),
            multipart_threshold: options.multipart_threshold,
            trailing_slash: arg.ends_with('/'),
        })
    }

    /// The key (or prefix), without leading or trailing `/`.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The object's path for the store: the key as it is (`ObjectPath::from` would
    /// percent-encode `#`, `~`, `[`...; a listing gives keys as they are). A key the store
    /// cannot address as written (an empty part, `a//b`) is asked for encoded, and is then
    /// not found.
    pub(crate) fn path(&self) -> ObjectPath {
        ObjectPath::parse(&self.key).unwrap_or_else(|_| ObjectPath::from(self.key.as_str()))
    }

    /// The object `name` under this prefix (`a/b` joined with `c.ts` is `a/b/c.ts`).
    pub fn join(&self, name: &str) -> ObjectUrl {
        let name = name.trim_matches('/');
        let key = match (self.key.is_empty(), name.is_empty()) {
            (_, true) => self.key.clone(),
            (true, false) => name.to_owned(),
            (false, false) => format!("{}/{name}", self.key),
        };
        ObjectUrl {
            key,
            trailing_slash: name.is_empty() && self.trailing_slash,
            ..self.clone()
        }
    }

    /// The same bucket with another key.
    pub(crate) fn with_key(&self, key: &str) -> ObjectUrl {
        ObjectUrl {
            key: key.trim_matches('/').to_owned(),
            trailing_slash: key.ends_with('/'),
            ..self.clone()
        }
    }

    /// Whether the URL names a prefix as written: it ends in `/`, or it is a bucket.
    pub fn names_prefix(&self) -> bool {
        self.trailing_slash || self.key.is_empty()
    }

    /// The last part of the key (`c.flv` of `s3://b/a/c.flv`).
    pub fn file_name(&self) -> &str {
        self.key.rsplit('/').next().unwrap_or("")
    }

    /// The retries this URL's requests (and those of URLs joined from it) needed, as
    /// messages; drained by the caller into its report.
    pub fn retry_log(&self) -> &RetryLog {
        &self.log
    }

    /// A storage error for this URL.
    pub(crate) fn error(&self, message: impl Into<String>) -> Error {
        Error::Storage {
            url: self.to_string(),
            message: message.into(),
            transient: true,
        }
    }

    /// A storage error for this URL from what object_store said, `what` being what was
    /// being done; transient when a later run may succeed.
    pub(crate) fn failed(&self, what: &str, e: &object_store::Error) -> Error {
        Error::Storage {
            url: self.to_string(),
            message: super::retry::explain(what, e),
            transient: super::retry::worth_a_later_run(e),
        }
    }

    /// The same URL with a retry log of its own, for one conversion's report.
    pub(crate) fn with_new_log(&self) -> ObjectUrl {
        ObjectUrl {
            log: RetryLog::default(),
            ..self.clone()
        }
    }
}

/// A place to read from or write to: a local path (`-` for stdin/stdout) or an object URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A file or folder on this machine.
    Local(PathBuf),
    /// An object (or prefix) in a bucket.
    Object(ObjectUrl),
}

impl Location {
    /// `s3://`, `gs://` and `az://` URLs are object storage; anything else is a local path.
    pub fn parse(arg: &str, options: &StoreOptions) -> Result<Location> {
        if ObjectUrl::is_object_url(arg) {
            ObjectUrl::parse(arg, options).map(Location::Object)
        } else {
            Ok(Location::Local(PathBuf::from(arg)))
        }
    }

    /// The local path, if this is one.
    pub fn as_path(&self) -> Option<&Path> {
        match self {
            Location::Local(p) => Some(p),
            Location::Object(_) => None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Local(p) => write!(f, "{}", p.display()),
            Location::Object(o) => write!(f, "{o}"),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn urls_parse_into_bucket_and_key() {
        let o = ObjectUrl::parse("s3://media/in/a.flv", &StoreOptions::default()).unwrap();
        assert_eq!(o.to_string(), "s3://media/in/a.flv");
        assert_eq!(o.key(), "in/a.flv");
        assert_eq!(o.file_name(), "a.flv");
        let p = ObjectUrl::parse("s3://media/out/", &StoreOptions::default()).unwrap();
        assert_eq!(p.key(), "out");
        assert_eq!(p.join("x/seg0.ts").to_string(), "s3://media/out/x/seg0.ts");
        let spaced = ObjectUrl::parse("s3://media/my clips/a b.flv", &StoreOptions::default());
        assert_eq!(spaced.unwrap().key(), "my clips/a b.flv");
        let root = ObjectUrl::parse("s3://media", &StoreOptions::default()).unwrap();
        assert_eq!(root.join("a.ts").key(), "a.ts");
        assert!(ObjectUrl::is_object_url("S3://x/y"));
        assert!(!ObjectUrl::is_object_url("s3:/x"));
        assert!(!ObjectUrl::is_object_url("./s3://x"));
        for bad in ["s3:///key", "s3://b/../k", "ftp://b/k"] {
            assert!(
                matches!(
                    ObjectUrl::parse(bad, &StoreOptions::default()),
                    Err(Error::Usage(_))
                ),
                "{bad}"
            );
        }
    }
}
