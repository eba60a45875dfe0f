//! One module per subcommand.

pub mod batch;
pub mod convert;
pub mod hls_keys;
pub mod ingest;
pub mod inspect;
pub mod overwrite;
pub mod progress;
pub mod publish;
pub mod say;
pub mod signals;

/// Whether option `id` was written on the command line (not taken from its default).
pub fn given(matches: &clap::ArgMatches, id: &str) -> bool {
    matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
}

/// `text` with every control character escaped (`\n`, `\u{1b}`), so a name that came from
/// outside (an RTMP client's stream name, a file name) can never start a line of its own or
/// move the terminal's cursor.
pub fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}
