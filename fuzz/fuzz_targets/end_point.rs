//! tls-server-end-point over arbitrary "certificates": the DER reader never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|der: &[u8]| {
    if let Ok(binding) = sasl_core::channel_binding::tls_server_end_point(der) {
        assert!(matches!(binding.data().len(), 28 | 32 | 48 | 64));
    }
});
