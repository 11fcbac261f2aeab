//! Placeholder: WebAuthn verification.
