//! Random configuration, traffic and time against IP stacks (see `vnet_tests::fuzz::stack_control`).
#![no_main]
libfuzzer_sys::fuzz_target!(|ops: Vec<vnet_tests::fuzz::StackOp>| vnet_tests::fuzz::stack_control(&ops));
