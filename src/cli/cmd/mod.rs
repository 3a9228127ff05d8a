//! One module per subcommand, each with a `run`.

pub mod bucket;
pub mod cluster;
pub mod compare;
pub mod dedup;
pub mod index;
pub mod params;
pub mod report;
pub mod sign;
pub mod synth;
