//! stack-adapter: a Linux-shaped IPv4/IPv6 layer for every simulated namespace.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
