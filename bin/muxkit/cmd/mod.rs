//! One module per subcommand.

pub mod batch;
pub mod convert;
pub mod ingest;
pub mod inspect;
pub mod publish;
pub mod signals;
