//! What several transforms share.

pub(crate) mod java_regex;
