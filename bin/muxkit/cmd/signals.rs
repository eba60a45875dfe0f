//! Stopping on SIGINT, SIGTERM and SIGHUP: the first signal asks the running work to finish
//! cleanly, a second one exits at once.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Calls `stop` on the first signal (after printing `notice` on stderr); a second signal exits
/// with 130 at once. Returns whether the handler could be installed (one per process); when it
/// could not, the caller's work still runs but a signal kills it the default way.
pub fn on_stop(notice: &'static str, stop: impl Fn() + Send + 'static) -> bool {
    let signals = AtomicUsize::new(0);
    let installed = ctrlc::set_handler(move || {
        if signals.fetch_add(1, Ordering::SeqCst) > 0 {
            std::process::exit(130);
        }
        eprintln!("muxkit: {notice} (Ctrl-C again to quit now)");
        stop();
    });
    if let Err(e) = &installed {
        eprintln!("muxkit: warning: a signal will not stop cleanly: {e}");
    }
    installed.is_ok()
}
