//! `--on-publish`, `--on-play`, `--on-unpublish`: an HTTP POST with a JSON body to the
//! operator's service, as SRS's `http_hooks` and nginx-rtmp's `on_publish` do. A 2xx answer
//! allows; any other status, a connection error or no answer within the timeout refuses.
//! Plain `http://` only (the service sits beside the server).

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// The JSON a hook gets: `action` (publish, play, unpublish), `app`, `stream`, the query
/// string and its `key`, the client's address and protocol.
pub(crate) fn hook_body(
    action: &str,
    name: &str,
    query: &str,
    client: SocketAddr,
    protocol: &str,
) -> String {
    let (app, stream) = name.split_once('/').unwrap_or((name, ""));
    let key = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "key")
        .map(|(_, v)| v);
    serde_json::json!({
        "action": action,
        "app": app,
        "stream": stream,
        "query": query,
        "key": key,
        "client": client.to_string(),
        "protocol": protocol,
    })
    .to_string()
}

/// Posts `body` to `url`; `Ok` on a 2xx answer within `timeout`, else why not.
pub(crate) async fn call(url: &str, body: String, timeout: Duration) -> Result<(), String> {
    match tokio::time::timeout(timeout, post(url, body)).await {
        Ok(r) => r,
        Err(_) => Err(format!(
            "hook {url} did not answer within {} s",
            timeout.as_secs_f64()
        )),
    }
}

async fn post(url: &str, body: String) -> Result<(), String> {
    let uri: hyper::Uri = url.parse().map_err(|e| format!("hook url {url:?}: {e}"))?;
    if uri.scheme_str() != Some("http") {
        return Err(format!(
            "hook url {url:?}: only http:// hooks are supported"
        ));
    }
    let host = uri
        .host()
        .ok_or_else(|| format!("hook url {url:?} has no host"))?;
    let port = uri.port_u16().unwrap_or(80);
    // An IPv6 literal comes with its brackets: `[::1]`.
    let ip_or_name = host.trim_start_matches('[').trim_end_matches(']');
    let tcp = TcpStream::connect((ip_or_name, port))
        .await
        .map_err(|e| format!("hook {url}: {e}"))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .map_err(|e| format!("hook {url}: {e}"))?;
    tokio::spawn(conn);
    let authority = uri
        .authority()
        .map_or_else(|| host.to_owned(), |a| a.to_string());
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let request = Request::post(path)
        .header(hyper::header::HOST, authority)
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header(hyper::header::USER_AGENT, "muxkit")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| format!("hook {url}: {e}"))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("hook {url}: {e}"))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("hook {url} answered {}", response.status()))
    }
}
