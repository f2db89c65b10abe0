//! Bytes into the rtnetlink link-message parser (see `vnet_tests::fuzz::netlink_parse`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| vnet_tests::fuzz::netlink_parse(data));
