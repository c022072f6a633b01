#![doc = include_str!("../README.md")]

pub mod ags;
pub mod context;
pub mod did;
pub mod envelope;
mod error;
pub mod import;
pub mod jose;
pub mod model;
pub mod ns;
pub mod rdf;
pub mod showcase;
pub mod validate;

pub use error::{Error, Result};
