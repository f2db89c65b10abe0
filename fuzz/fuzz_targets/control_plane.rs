//! Random control-plane and data-path operations against a World (see
//! `vnet_tests::fuzz::control_plane`).
#![no_main]
libfuzzer_sys::fuzz_target!(|ops: Vec<vnet_tests::fuzz::Op>| vnet_tests::fuzz::control_plane(&ops));
