//! Client certificates as EXTERNAL's identity helper parses them (before the client
//! has proven it holds the key): never panic, and what parses has a 43-character
//! fingerprint and at most 32 e-mail addresses.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sasl_external::{CertificateIdentity, KeyPolicy};

fuzz_target!(|der: &[u8]| {
    if let Ok(id) = CertificateIdentity::from_der(der) {
        assert_eq!(id.fingerprint().len(), 43);
        assert!(id.email_addresses().len() <= 32);
        let _ = id.check_key(&KeyPolicy::default());
    }
});
