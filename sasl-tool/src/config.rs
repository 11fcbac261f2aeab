//! The server config file (being built).
