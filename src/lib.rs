//! lade: move, inspect and store container images.
//!
//! Data flows one way: model ← store ← transports ← copy ← cmd.

pub mod archive;
pub mod blob_cache;
pub mod cli;
pub mod cmd;
pub mod compress;
pub mod copy;
pub mod error;
pub mod fsutil;
pub mod keyed;
pub mod model;
pub mod store;
pub mod transport;
pub mod unpack;
pub mod verify;

pub use error::{Error, Result};

/// The processors this process may use, asked once: the standard library
/// reads the cgroup files again on every call, and a sync asked it for
/// each of its images.
pub fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
}
