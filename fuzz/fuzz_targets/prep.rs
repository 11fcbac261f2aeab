//! SASLprep and the PRECIS profiles on arbitrary strings: no panic, and a successful
//! result is stable under a second application.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sasl_core::prep::{PrecisProfile, SaslprepMode, saslprep};

fuzz_target!(|text: &str| {
    for mode in [SaslprepMode::Query, SaslprepMode::Stored] {
        let _ = saslprep(text, mode);
    }
    for profile in [
        PrecisProfile::UsernameCaseMapped,
        PrecisProfile::UsernameCasePreserved,
        PrecisProfile::OpaqueString,
    ] {
        if let Ok(out) = profile.enforce(text) {
            let again = profile.enforce(&out).map(|s| s.into_owned());
            assert_eq!(again.as_deref(), Ok(&*out));
        }
    }
});
