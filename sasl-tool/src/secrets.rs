//! Reading passwords and tokens (being built).
