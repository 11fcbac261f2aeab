//! The relying party's configuration.

use sasl_core::UserVerification;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// Default ceremony timeout, in milliseconds (the mechanism's challenge lifetime).
pub const DEFAULT_TIMEOUT_MS: u32 = 60_000;

/// What the server expects of assertions and registrations: its RP ID, the origins
/// its clients present, and its policy.
///
/// Origins are compared as exact strings against the allowlist: web origins such as
/// `https://mail.example.com` (scheme, host, and a port only if not the default, as
/// browsers serialize them) and native-app origins such as
/// `android:apk-key-hash:<base64url of the signing certificate hash>` or an Apple
/// app's associated domain origin. For SASL PASSKEY the RP ID is typically the mail
/// domain and the allowlist `https://<rp id>` plus the native apps' origins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    rp_id: String,
    rp_id_hash: [u8; 32],
    origins: Vec<String>,
    user_verification: UserVerification,
    cross_origin: bool,
    counter_regression: bool,
    timeout_ms: u32,
    keys: KeyCache,
}

/// Most parsed credential keys a relying party keeps (parsing an RSA or P-256 key
/// costs as much as a good part of the signature check; the cache is cleared when
/// full).
pub const KEY_CACHE_SIZE: usize = 4096;

/// Parsed COSE keys by their CBOR bytes, shared by the clones of a relying party.
/// Two relying parties compare equal whatever their caches hold.
#[derive(Clone, Default)]
pub(crate) struct KeyCache(
    Arc<std::sync::Mutex<std::collections::HashMap<Vec<u8>, Arc<super::CoseKey>>>>,
);

impl KeyCache {
    /// The parsed key for `cbor`, parsing it the first time.
    /// (Shared, not cloned: a clone of a parsed key copies its CBOR bytes.)
    pub(crate) fn get(&self, cbor: &[u8]) -> Result<Arc<super::CoseKey>, super::CoseKeyError> {
        // (No let chains: this crate keeps Rust 1.85.)
        let cached = self.0.lock().ok().and_then(|map| map.get(cbor).cloned());
        if let Some(key) = cached {
            return Ok(key);
        }
        let key = Arc::new(super::CoseKey::from_cbor(cbor)?);
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= KEY_CACHE_SIZE {
                map.clear();
            }
            map.insert(cbor.to_vec(), key.clone());
        }
        Ok(key)
    }
}

impl PartialEq for KeyCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for KeyCache {}

impl core::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let n = self.0.lock().map(|m| m.len()).unwrap_or(0);
        write!(f, "KeyCache({n} keys)")
    }
}

impl RelyingParty {
    /// A relying party with RP ID `rp_id` accepting the listed origins; user
    /// verification preferred (not required), no cross-origin use, counter
    /// regressions refused, a 60 s timeout.
    pub fn new(
        rp_id: impl Into<String>,
        origins: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let rp_id = rp_id.into();
        let rp_id_hash = Sha256::digest(rp_id.as_bytes()).into();
        RelyingParty {
            rp_id,
            rp_id_hash,
            origins: origins.into_iter().map(Into::into).collect(),
            user_verification: UserVerification::Preferred,
            cross_origin: false,
            counter_regression: false,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            keys: KeyCache::default(),
        }
    }

    /// The parsed key for a stored COSE key (cached).
    pub(crate) fn key(&self, cbor: &[u8]) -> Result<Arc<super::CoseKey>, super::CoseKeyError> {
        self.keys.get(cbor)
    }

    /// Sets the user verification asked for; with
    /// [`Required`](UserVerification::Required) the UV flag must be set.
    pub fn with_user_verification(mut self, uv: UserVerification) -> Self {
        self.user_verification = uv;
        self
    }

    /// Accepts client data with `crossOrigin: true` (an embedding iframe) and a
    /// `topOrigin`, which must then be in the allowlist too. Off by default: SASL has
    /// no iframes.
    pub fn allow_cross_origin(mut self, allow: bool) -> Self {
        self.cross_origin = allow;
        self
    }

    /// Accepts an assertion whose signature counter did not increase (a possibly
    /// cloned authenticator), reporting it instead of failing. Off by default.
    pub fn allow_counter_regression(mut self, allow: bool) -> Self {
        self.counter_regression = allow;
        self
    }

    /// Sets the ceremony timeout in milliseconds (sent to clients; the mechanism
    /// expires its challenge after it).
    pub fn with_timeout_ms(mut self, timeout_ms: u32) -> Self {
        self.timeout_ms = timeout_ms;
        self
    }

    /// The RP ID.
    pub fn rp_id(&self) -> &str {
        &self.rp_id
    }

    /// SHA-256 of the RP ID, what authenticator data must carry.
    pub fn rp_id_hash(&self) -> &[u8; 32] {
        &self.rp_id_hash
    }

    /// The allowed origins.
    pub fn origins(&self) -> &[String] {
        &self.origins
    }

    /// Whether `origin` is in the allowlist (exact match).
    pub fn is_origin_allowed(&self, origin: &str) -> bool {
        self.origins.iter().any(|o| o == origin)
    }

    /// The user verification asked for.
    pub fn user_verification(&self) -> UserVerification {
        self.user_verification
    }

    /// Whether cross-origin client data is accepted.
    pub fn cross_origin_allowed(&self) -> bool {
        self.cross_origin
    }

    /// Whether counter regressions are accepted (and reported).
    pub fn counter_regression_allowed(&self) -> bool {
        self.counter_regression
    }

    /// The ceremony timeout in milliseconds.
    pub fn timeout_ms(&self) -> u32 {
        self.timeout_ms
    }

    /// Steps shared by assertions and registrations: origin, then the cross-origin
    /// policy.
    pub(crate) fn check_origins(
        &self,
        origin: &str,
        cross_origin: Option<bool>,
        top_origin: Option<&str>,
    ) -> Result<(), OriginError> {
        if !self.is_origin_allowed(origin) {
            return Err(OriginError::NotAllowed);
        }
        if cross_origin == Some(true) && !self.cross_origin {
            return Err(OriginError::CrossOrigin);
        }
        if let Some(top) = top_origin {
            if !self.cross_origin {
                return Err(OriginError::CrossOrigin);
            }
            if !self.is_origin_allowed(top) {
                return Err(OriginError::NotAllowed);
            }
        }
        Ok(())
    }
}

/// A failed origin check.
pub(crate) enum OriginError {
    NotAllowed,
    CrossOrigin,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// An Ed25519 COSE_Key around `x` (RFC 8032 §7.1 public keys below).
    fn ed25519(x: &str) -> Vec<u8> {
        crate::cbor::tests::hex(&format!("a4010103272006215820{x}"))
    }

    #[test]
    fn keys_are_cached_per_cbor_and_shared_by_clones() {
        let a = ed25519("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        let b = ed25519("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
        let rp = RelyingParty::new("example.com", ["https://example.com"]);
        let clone = rp.clone();
        assert_eq!(
            rp.key(&a).unwrap().algorithm(),
            super::super::CoseAlgorithm::EdDsa
        );
        assert!(rp.key(&b).is_ok());
        // The clone finds the very key the first lookup parsed.
        assert!(Arc::ptr_eq(&clone.key(&a).unwrap(), &rp.key(&a).unwrap()));
        // Two keys parsed, both kept (the cache is cleared only when it is full), and
        // the clone shares them.
        assert_eq!(format!("{:?}", rp.keys), "KeyCache(2 keys)");
        assert_eq!(format!("{:?}", clone.keys), "KeyCache(2 keys)");
        assert!(rp.key(&[0xa0]).is_err());
        assert_eq!(format!("{:?}", rp.keys), "KeyCache(2 keys)");
        // Relying parties compare by configuration, whatever their caches hold.
        assert_eq!(
            rp,
            RelyingParty::new("example.com", ["https://example.com"])
        );
        assert_ne!(
            rp,
            RelyingParty::new("example.org", ["https://example.com"])
        );
    }

    #[test]
    fn a_full_cache_is_cleared() {
        let cache = KeyCache::default();
        let key = ed25519("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        {
            let parsed = Arc::new(super::super::CoseKey::from_cbor(&key).unwrap());
            let mut map = cache.0.lock().unwrap();
            for i in 0..KEY_CACHE_SIZE - 1 {
                map.insert(i.to_be_bytes().to_vec(), parsed.clone());
            }
        }
        // One below the size: the new key is added.
        assert!(cache.get(&key).is_ok());
        assert_eq!(
            format!("{cache:?}"),
            format!("KeyCache({KEY_CACHE_SIZE} keys)")
        );
        // At the size: the cache is cleared, then the new key is added.
        let other = ed25519("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
        assert!(cache.get(&other).is_ok());
        assert_eq!(format!("{cache:?}"), "KeyCache(1 keys)");
    }

    #[test]
    fn accessors_report_the_configuration() {
        let rp = RelyingParty::new(
            "example.com",
            ["https://example.com", "android:apk-key-hash:x"],
        );
        assert_eq!(
            rp.origins(),
            ["https://example.com", "android:apk-key-hash:x"]
        );
        assert!(!rp.cross_origin_allowed());
        assert!(rp.clone().allow_cross_origin(true).cross_origin_allowed());
        assert!(!rp.allow_cross_origin(false).cross_origin_allowed());
    }
}
