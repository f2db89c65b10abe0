//! Bytes as frames into a namespace's IP stack (see `vnet_tests::fuzz::stack_rx`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| vnet_tests::fuzz::stack_rx(data));
