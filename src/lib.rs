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
pub mod model;
pub mod store;
pub mod transport;
pub mod unpack;
pub mod verify;

pub use error::{Error, Result};
