//! `securitygroup/*` against the emulator.
