//! One module per subcommand.

pub mod convert;
pub mod ingest;
pub mod inspect;
pub mod publish;
