//! `floating/*` against the emulator.
