//! `cray-chkpnt`: the checkpoint image format (see FORMAT.md).
