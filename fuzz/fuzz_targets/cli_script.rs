//! Random command lines into a `vnet` session (see `vnet_tests::fuzz::cli_script`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| vnet_tests::fuzz::cli_script(data));
