//! A wrapper for secret material: redacted `Debug`, zeroized on drop.

use core::fmt;
use zeroize::Zeroize;

/// Holds a secret (a password, a derived key, a token) so that it cannot leak by
/// accident.
///
/// - `Debug` prints `Secret(<redacted>)`, never the content.
/// - The content is zeroized when the `Secret` is dropped.
/// - There is no `Display`, no `PartialEq` (compare secrets in constant time with
///   [`Secret::ct_eq`] where `T: AsRef<[u8]>`), and reading the content needs an
///   explicit call to [`Secret::expose`].
#[derive(Clone, Default)]
pub struct Secret<T: Zeroize>(T);

impl<T: Zeroize> Secret<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// Gives read access to the secret. Keep the borrow short and never log it.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Gives write access to the secret, e.g. to fill a buffer in place.
    pub fn expose_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: Zeroize + AsRef<[u8]>> Secret<T> {
    /// Compares two secrets in constant time (for equal lengths; the length itself is
    /// not hidden).
    pub fn ct_eq(&self, other: &[u8]) -> bool {
        ct_eq(self.0.as_ref(), other)
    }
}

/// Constant-time equality of two byte strings (the lengths are not secret): ORs the
/// XOR of every byte pair, then one `subtle` comparison of the result, so there is
/// no data-dependent branch, and one optimisation barrier instead of `subtle`'s one
/// per byte.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    diff.ct_eq(&0).into()
}

impl<T: Zeroize> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret<String> {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl From<&[u8]> for Secret<Vec<u8>> {
    fn from(value: &[u8]) -> Self {
        Self(value.to_vec())
    }
}

impl<T: Zeroize> Drop for Secret<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = Secret::new(String::from("hunter2"));
        let shown = format!("{s:?} {s:#?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn ct_eq_compares_content() {
        let s: Secret<Vec<u8>> = Secret::from(&b"abc"[..]);
        assert!(s.ct_eq(b"abc"));
        assert!(!s.ct_eq(b"abd"));
        assert!(!s.ct_eq(b"ab"));
        // Every byte position counts, and an empty string equals only an empty one.
        for i in 0..3 {
            let mut other = *b"abc";
            other[i] ^= 0x80;
            assert!(!ct_eq(b"abc", &other), "{i}");
        }
        assert!(ct_eq(b"", b""));
        assert!(!ct_eq(b"", b"a"));
    }

    #[test]
    fn zeroize_clears_content() {
        // Drop cannot be observed safely, so check the same routine Drop calls.
        let mut s = Secret::new(vec![1u8, 2, 3]);
        s.expose_mut().zeroize();
        assert!(s.expose().is_empty());
    }
}
