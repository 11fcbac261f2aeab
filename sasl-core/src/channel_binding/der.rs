//! A deliberately tiny, strict DER reader.
//!
//! Computing `tls-server-end-point` needs exactly one fact from a certificate:
//! the outer `signatureAlgorithm`. Pulling in a full X.509 parser for that
//! would be a large dependency and attack surface, so this reader only walks
//! tag-length-value triples. It is strict on purpose: the certificate has
//! normally been verified by the TLS stack already, so anything that is not
//! canonical DER is far more likely to be an attack or a bug than a
//! legitimate peer, and rejecting it is the safe outcome.
//!
//! Every access is bounds-checked through `slice::get`/`split_at_checked`; no
//! input can make this module panic.

/// Universal tag of `BIT STRING`.
pub(crate) const TAG_BIT_STRING: u8 = 0x03;
/// Universal tag of `NULL`.
pub(crate) const TAG_NULL: u8 = 0x05;
/// Universal tag of `OBJECT IDENTIFIER`.
pub(crate) const TAG_OID: u8 = 0x06;
/// Universal tag of `SEQUENCE` (constructed bit set).
pub(crate) const TAG_SEQUENCE: u8 = 0x30;

/// Tag of a constructed, context-specific `[n]` field, as used by explicit
/// tagging in `RSASSA-PSS-params`.
pub(crate) const fn tag_context(n: u8) -> u8 {
    0xA0 | n
}

/// Why the DER was rejected; a static string is enough because the caller
/// wraps it in a public error that adds context.
pub(crate) type DerError = &'static str;

/// One decoded tag-length-value element.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tlv<'a> {
    /// The single identifier octet.
    pub(crate) tag: u8,
    /// The content octets.
    pub(crate) value: &'a [u8],
}

/// A cursor over a sequence of DER elements.
#[derive(Clone, Debug)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Starts reading at the beginning of `input`.
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Self { rest: input }
    }

    /// True when every byte has been consumed.
    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The identifier octet of the next element, without consuming it.
    pub(crate) fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Reads the next element, whatever its tag.
    pub(crate) fn read_any(&mut self) -> Result<Tlv<'a>, DerError> {
        let (&tag, after_tag) = self.rest.split_first().ok_or("unexpected end of data")?;
        // High-tag-number form (low five bits all set) never occurs in the
        // parts of a certificate this module reads; refusing it keeps the
        // tag a single byte.
        if tag & 0x1F == 0x1F {
            return Err("multi-byte tags are not supported");
        }
        let (len, after_len) = read_length(after_tag)?;
        let (value, rest) = after_len
            .split_at_checked(len)
            .ok_or("element length runs past the end of the data")?;
        self.rest = rest;
        Ok(Tlv { tag, value })
    }

    /// Reads the next element and requires it to carry `tag`; returns its
    /// content octets.
    pub(crate) fn read(&mut self, tag: u8, what: DerError) -> Result<&'a [u8], DerError> {
        if self.peek_tag() != Some(tag) {
            return Err(what);
        }
        Ok(self.read_any()?.value)
    }

    /// Requires that nothing is left, so trailing garbage is never ignored.
    pub(crate) fn finish(&self, what: DerError) -> Result<(), DerError> {
        if self.is_empty() { Ok(()) } else { Err(what) }
    }
}

/// Decodes a DER length, returning it and the bytes that follow it.
fn read_length(input: &[u8]) -> Result<(usize, &[u8]), DerError> {
    let (&first, rest) = input
        .split_first()
        .ok_or("unexpected end of data in a length")?;
    if first < 0x80 {
        return Ok((usize::from(first), rest));
    }
    if first == 0x80 {
        // Indefinite length is BER, never DER.
        return Err("indefinite length is not allowed in DER");
    }
    let count = usize::from(first & 0x7F);
    // Four length octets already allow 4 GiB, far beyond any certificate;
    // capping here also keeps the arithmetic below overflow-free on 32-bit.
    if count > 4 {
        return Err("length field is too large");
    }
    let (octets, rest) = rest
        .split_at_checked(count)
        .ok_or("unexpected end of data in a length")?;
    if octets.first() == Some(&0) {
        return Err("length is not minimally encoded");
    }
    let mut len: u32 = 0;
    for &octet in octets {
        len = (len << 8) | u32::from(octet);
    }
    if len < 0x80 {
        // DER requires the short form whenever it fits.
        return Err("length is not minimally encoded");
    }
    let len = usize::try_from(len).map_err(|_| "length does not fit in memory")?;
    Ok((len, rest))
}

/// Checks the content octets of an OBJECT IDENTIFIER: non-empty, every
/// sub-identifier minimally encoded, and the last one terminated.
pub(crate) fn check_oid(oid: &[u8]) -> Result<(), DerError> {
    if oid.is_empty() {
        return Err("empty object identifier");
    }
    let mut at_start = true;
    for &byte in oid {
        // A sub-identifier starting with 0x80 has a redundant leading zero
        // group, which DER forbids and which would let two different byte
        // strings name the same OID.
        if at_start && byte == 0x80 {
            return Err("object identifier is not minimally encoded");
        }
        at_start = byte & 0x80 == 0;
    }
    if at_start {
        Ok(())
    } else {
        Err("object identifier ends inside a sub-identifier")
    }
}

/// Renders OID content octets in dotted-decimal form for error messages.
///
/// Returns `None` when the encoding is invalid or an arc exceeds 128 bits
/// (UUID-based OIDs under 2.25 need the full 128).
pub(crate) fn oid_to_dotted(oid: &[u8]) -> Option<String> {
    check_oid(oid).ok()?;
    let mut out = String::new();
    let mut arc: u128 = 0;
    let mut first = true;
    for &byte in oid {
        arc = arc.checked_mul(128)?.checked_add(u128::from(byte & 0x7F))?;
        if byte & 0x80 != 0 {
            continue;
        }
        if first {
            // The first sub-identifier packs the first two arcs as 40*x + y,
            // with x limited to 0, 1 or 2 (and y unbounded only under 2).
            let (x, y) = match arc {
                0..40 => (0, arc),
                40..80 => (1, arc - 40),
                _ => (2, arc - 80),
            };
            out.push_str(&format!("{x}.{y}"));
            first = false;
        } else {
            out.push_str(&format!(".{arc}"));
        }
        arc = 0;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_lengths() {
        assert_eq!(read_length(&[0x05, 9]), Ok((5, &[9u8][..])));
        assert_eq!(read_length(&[0x81, 0x80]), Ok((0x80, &[][..])));
        assert_eq!(read_length(&[0x82, 0x01, 0x00]), Ok((0x100, &[][..])));
    }

    #[test]
    fn non_der_lengths_are_rejected() {
        assert!(read_length(&[]).is_err());
        assert!(read_length(&[0x80]).is_err(), "indefinite");
        assert!(
            read_length(&[0x81, 0x7F]).is_err(),
            "long form for short value"
        );
        assert!(read_length(&[0x82, 0x00, 0x80]).is_err(), "leading zero");
        assert!(
            read_length(&[0x85, 1, 0, 0, 0, 0]).is_err(),
            "too many octets"
        );
        assert!(read_length(&[0x82, 0x01]).is_err(), "truncated");
        assert!(read_length(&[0xFF]).is_err(), "reserved");
    }

    #[test]
    fn reader_bounds() {
        let mut r = Reader::new(&[0x30, 0x03, 0x05, 0x00]);
        assert!(r.read_any().is_err(), "length past end");
        let mut r = Reader::new(&[0x1F, 0x01, 0x00]);
        assert!(r.read_any().is_err(), "high tag number");
        let mut r = Reader::new(&[0x05, 0x00, 0x06, 0x01, 0x2A]);
        assert_eq!(r.read(TAG_NULL, "null"), Ok(&[][..]));
        assert_eq!(r.read(TAG_NULL, "null"), Err("null"));
        assert_eq!(r.read(TAG_OID, "oid"), Ok(&[0x2A][..]));
        assert!(r.finish("trailing").is_ok());
    }

    #[test]
    fn oid_checks() {
        assert!(check_oid(&[]).is_err());
        assert!(check_oid(&[0x2A, 0x86]).is_err());
        assert!(check_oid(&[0x2A, 0x80, 0x01]).is_err());
        assert!(check_oid(&[0x2A, 0x86, 0x48]).is_ok());
    }

    #[test]
    fn dotted_rendering() {
        assert_eq!(
            oid_to_dotted(&[0x2B, 0x65, 0x70]).as_deref(),
            Some("1.3.101.112")
        );
        assert_eq!(oid_to_dotted(&[0x06]).as_deref(), Some("0.6"));
        assert_eq!(
            oid_to_dotted(&[0x88, 0x37, 0x03]).as_deref(),
            Some("2.999.3")
        );
        assert_eq!(oid_to_dotted(&[0x80]), None);
        // 20 groups of 7 bits is 140 bits: does not fit in u128.
        let mut huge = vec![0xFF; 19];
        huge.push(0x7F);
        assert_eq!(oid_to_dotted(&huge), None);
    }
}
