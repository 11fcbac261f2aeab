//! The little CBOR the software authenticator emits (COSE keys, attestation objects):
//! definite-length, shortest-form heads, map entries in the order given (callers give
//! them in CTAP2 canonical order). Kept isolated so it can be switched to the crate's
//! shared CBOR module.

/// A CBOR data item to encode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Out<'a> {
    /// An integer (major type 0 or 1).
    Int(i64),
    /// A byte string (major type 2).
    Bytes(&'a [u8]),
    /// A text string (major type 3).
    Text(&'a str),
    /// An array (major type 4).
    #[allow(dead_code)]
    Array(Vec<Out<'a>>),
    /// A map (major type 5), entries in the order given.
    Map(Vec<(Out<'a>, Out<'a>)>),
}

/// Encodes `item`.
pub(crate) fn encode(item: &Out<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(item, &mut out);
    out
}

fn encode_into(item: &Out<'_>, out: &mut Vec<u8>) {
    match item {
        Out::Int(n) if *n >= 0 => head(0, n.unsigned_abs(), out),
        // -1 - n, which for a negative n is its bitwise complement.
        Out::Int(n) => head(1, !(*n as u64), out),
        Out::Bytes(b) => {
            head(2, b.len() as u64, out);
            out.extend_from_slice(b);
        }
        Out::Text(t) => {
            head(3, t.len() as u64, out);
            out.extend_from_slice(t.as_bytes());
        }
        Out::Array(items) => {
            head(4, items.len() as u64, out);
            for i in items {
                encode_into(i, out);
            }
        }
        Out::Map(entries) => {
            head(5, entries.len() as u64, out);
            for (k, v) in entries {
                encode_into(k, out);
                encode_into(v, out);
            }
        }
    }
}

fn head(major: u8, arg: u64, out: &mut Vec<u8>) {
    let mt = major << 5;
    if arg < 24 {
        out.push(mt | arg as u8);
    } else if let Ok(a) = u8::try_from(arg) {
        out.push(mt | 24);
        out.push(a);
    } else if let Ok(a) = u16::try_from(arg) {
        out.push(mt | 25);
        out.extend_from_slice(&a.to_be_bytes());
    } else if let Ok(a) = u32::try_from(arg) {
        out.push(mt | 26);
        out.extend_from_slice(&a.to_be_bytes());
    } else {
        out.push(mt | 27);
        out.extend_from_slice(&arg.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8949_examples() {
        let cases: &[(Out<'_>, &[u8])] = &[
            (Out::Int(0), &[0x00]),
            (Out::Int(23), &[0x17]),
            (Out::Int(24), &[0x18, 0x18]),
            (Out::Int(1000), &[0x19, 0x03, 0xe8]),
            (Out::Int(1_000_000), &[0x1a, 0x00, 0x0f, 0x42, 0x40]),
            (
                Out::Int(i64::MAX),
                &[0x1b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            ),
            (Out::Int(-1), &[0x20]),
            (Out::Int(-7), &[0x26]),
            (Out::Int(-100), &[0x38, 0x63]),
            (Out::Int(-257), &[0x39, 0x01, 0x00]),
            (
                Out::Int(i64::MIN),
                &[0x3b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            ),
            (Out::Bytes(&[1, 2, 3, 4]), &[0x44, 1, 2, 3, 4]),
            (Out::Text("IETF"), &[0x64, 0x49, 0x45, 0x54, 0x46]),
            (
                Out::Array(vec![Out::Int(1), Out::Int(2), Out::Int(3)]),
                &[0x83, 1, 2, 3],
            ),
            (Out::Map(vec![]), &[0xa0]),
            (
                Out::Map(vec![(Out::Text("a"), Out::Int(1))]),
                &[0xa1, 0x61, 0x61, 0x01],
            ),
        ];
        for (item, bytes) in cases {
            assert_eq!(encode(item), *bytes, "{item:?}");
        }
    }

    #[test]
    fn long_byte_string_head() {
        let data = vec![0u8; 300];
        let enc = encode(&Out::Bytes(&data));
        assert_eq!(&enc[..3], &[0x59, 0x01, 0x2c]);
        assert_eq!(enc.len(), 303);
    }
}
