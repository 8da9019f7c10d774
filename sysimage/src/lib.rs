//! `cray-sysimage`: checkpoint and restart of a `cray_emulator` [`System`]: what of a
//! system goes into which section of a `cray-chkpnt` image, and how it comes back.
//!
//! The layer between the image format (`cray-chkpnt`, which knows sections, versions,
//! checksums and chains of images, and nothing of what the state means) and the
//! `cray` command: [`system_image`] maps a `System` onto sections (its kernel state
//! in the frozen, versioned form of `cray_emulator::saved`, memory fields, the
//! open-files list), [`file_policy`] checks and restores the host files a job had
//! open, and [`upgrade`] rewrites an image in the current format.
//!
//! [`System`]: cray_emulator::System

#![deny(missing_docs)]

pub mod file_policy;
#[doc(hidden)]
pub mod fuzz;
pub mod system_image;
pub mod upgrade;
