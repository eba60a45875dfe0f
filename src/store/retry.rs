//! Retrying requests: which failures a retry can cure, how long to wait, and a record of
//! every retry for the run's report.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often a failed request is tried again, and how long to wait in between: the first
/// pause is `first_pause`, each next one twice as long up to `max_pause` (with up to a
/// quarter of jitter, so parallel jobs do not retry in step).
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0: fail at the first error).
    pub retries: u32,
    /// The pause before the first retry.
    pub first_pause: Duration,
    /// The longest pause.
    pub max_pause: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            retries: 5,
            first_pause: Duration::from_millis(200),
            max_pause: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The pause before retry number `n` (0-based).
    fn pause(&self, n: u32) -> Duration {
        let base = self
            .first_pause
            .saturating_mul(1u32 << n.min(16))
            .min(self.max_pause);
        let mut jitter = [0u8; 2];
        let _ = getrandom::fill(&mut jitter);
        let quarter = base / 4;
        base - quarter + quarter.mul_f64(f64::from(u16::from_le_bytes(jitter)) / 65535.0)
    }
}

/// Retries that happened, as messages (`PUT s3://b/seg3.ts: connection refused; retry 1 of 5
/// in 0.2 s`), shared by every request made for one run.
#[derive(Clone, Debug, Default)]
pub struct RetryLog(Arc<Mutex<Vec<String>>>);

impl RetryLog {
    /// Keeps the first [`RetryLog::MAX`] messages and notes that there were more, so a long
    /// run against a flaky server holds bounded memory.
    fn push(&self, message: String) {
        let mut log = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match log.len() {
            n if n < Self::MAX => log.push(message),
            n if n == Self::MAX => log.push("more retries (not listed)".into()),
            _ => {}
        }
    }

    /// Messages kept.
    pub const MAX: usize = 100;

    /// Takes the messages logged so far.
    pub fn drain(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Whether a retry may cure `e`: a network error, a timeout, a 5xx or a throttling answer,
/// which object_store reports as `Generic`. A 403, a missing object or bucket, a failed
/// precondition (the object changed) fail the same way every time.
pub(crate) fn is_transient(e: &object_store::Error) -> bool {
    use object_store::Error as E;
    match e {
        E::Generic { .. } => {
            let text = e.to_string();
            // A 4xx other than a timeout (408) or throttling (429) is the request's own
            // fault: a missing bucket, refused credentials, a range past the end.
            let client_error = text.split("status code: ").nth(1).is_some_and(|code| {
                code.starts_with('4') && !code.starts_with("408") && !code.starts_with("429")
            });
            !(client_error
                || text.contains("NoSuchBucket")
                || text.contains("AccessDenied")
                || text.contains("SignatureDoesNotMatch")
                || text.contains("InvalidAccessKeyId"))
        }
        E::JoinError { .. } => true,
        _ => false,
    }
}

/// Runs `attempt` until it succeeds, fails in a way no retry cures, or the policy's retries
/// are spent; each retry is logged with what failed (`what`, such as `PUT s3://b/k`).
pub(crate) async fn retrying<T, F, Fut>(
    policy: &RetryPolicy,
    log: &RetryLog,
    what: &str,
    mut attempt: F,
) -> std::result::Result<T, object_store::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<T, object_store::Error>>,
{
    let mut n = 0;
    loop {
        match attempt().await {
            Ok(v) => return Ok(v),
            Err(e) if n < policy.retries && is_transient(&e) => {
                let pause = policy.pause(n);
                log.push(format!(
                    "{what}: {}; retry {} of {} in {:.1} s",
                    short(&e),
                    n + 1,
                    policy.retries,
                    pause.as_secs_f64()
                ));
                tokio::time::sleep(pause).await;
                n += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// An object_store error in a line: its innermost cause, which says what happened
/// ("Connection refused"), after what the store said it was doing.
pub(crate) fn short(e: &object_store::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    let mut deepest = None;
    while let Some(s) = source {
        deepest = Some(s.to_string());
        source = s.source();
    }
    if let Some(d) = deepest.filter(|d| !text.contains(d.as_str())) {
        text = format!("{text} ({d})");
    }
    text
}

/// Whether a later run may get past `e`: what a retry could cure (the retries were spent),
/// and an object that changed while it was read (the next run reads the new one).
pub(crate) fn worth_a_later_run(e: &object_store::Error) -> bool {
    is_transient(e)
        || matches!(e, object_store::Error::Precondition { .. })
        || e.to_string().contains("InvalidRange")
}

/// A storage error's message for the user: what was done, and why it failed in words a
/// user acts on (the bucket, the credentials, the server) before the store's own text.
pub(crate) fn explain(what: &str, e: &object_store::Error) -> String {
    use object_store::Error as E;
    let text = short(e);
    let why = if text.contains("NoSuchBucket") {
        "the bucket does not exist"
    } else if matches!(e, E::PermissionDenied { .. } | E::Unauthenticated { .. })
        || text.contains("AccessDenied")
        || text.contains("SignatureDoesNotMatch")
        || text.contains("InvalidAccessKeyId")
        || text.contains("403 Forbidden")
    {
        "access denied (check the credentials and the bucket's policy)"
    } else if matches!(e, E::NotFound { .. }) {
        "no such object"
    } else if matches!(e, E::Precondition { .. }) || text.contains("InvalidRange") {
        "the object changed while it was being read (its ETag no longer matches)"
    } else if is_transient(e) {
        "the server did not answer (after retries)"
    } else {
        "failed"
    };
    format!("{what}: {why}: {text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_up_to_the_cap_with_jitter_below() {
        let p = RetryPolicy {
            retries: 8,
            first_pause: Duration::from_millis(100),
            max_pause: Duration::from_millis(500),
        };
        for (n, full) in [(0, 100), (1, 200), (2, 400), (3, 500), (7, 500)] {
            let d = p.pause(n).as_millis() as u64;
            assert!(d <= full && d >= full * 3 / 4, "{n}: {d}");
        }
    }
}
