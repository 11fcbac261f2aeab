//! The private CBOR codec, for the fuzz targets only: compiled with `--cfg fuzzing`
//! (cargo-fuzz sets it) and never otherwise, so nothing here is part of the API.

use crate::cbor;

/// One decoded CBOR data item, opaque.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cbor(cbor::Value);

/// [`cbor::decode`]: exactly one strict (shortest-form, no duplicate keys) item.
pub fn decode(input: &[u8]) -> Result<Cbor, &'static str> {
    cbor::decode(input)
        .map(Cbor)
        .map_err(cbor::CborError::detail)
}

/// [`cbor::encode`].
pub fn encode(item: &Cbor) -> Vec<u8> {
    cbor::encode(&item.0)
}
