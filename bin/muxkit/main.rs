//! The muxkit command line.
fn main() {}
