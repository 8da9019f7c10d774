//! `cray_cli`: the parts of the `cray` command that other crates link, so that the
//! fuzz targets (the `fuzz/` crate) and tests exercise the code the command runs.

pub mod control_request;
#[doc(hidden)]
pub mod fuzz;
