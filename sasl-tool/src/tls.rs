//! TLS: certificates and rustls configs (being built).
