#![doc = include_str!("../README.md")]

pub mod jose;
pub mod ns;
