//! `dns/*` against the emulator.
