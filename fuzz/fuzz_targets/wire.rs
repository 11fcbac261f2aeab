//! The IMAP/SMTP base64 line helpers: decode never panics, and what decodes
//! re-encodes to the same line.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sasl_core::wire;

fuzz_target!(|line: &[u8]| {
    if let Ok(wire::Response::Data(data)) = wire::decode_response(line) {
        assert_eq!(wire::encode_response(data.expose()).as_bytes(), line);
    }
    if let Ok(Some(data)) = wire::decode_initial_response(Some(line)) {
        assert_eq!(wire::encode_initial_response(&data).as_bytes(), line);
    }
});
