//! Bytes as frames into a veth pair's receive path (see `vnet_tests::fuzz::veth_rx`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| vnet_tests::fuzz::veth_rx(data));
