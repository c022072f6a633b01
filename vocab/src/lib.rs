#![doc = include_str!("../README.md")]

pub mod ags;
pub mod did;
mod error;
pub mod jose;
pub mod model;
pub mod ns;

pub use error::{Error, Result};
