//! `script/*` against the emulator.
