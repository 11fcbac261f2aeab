//! Placeholder: a strict CBOR subset.
