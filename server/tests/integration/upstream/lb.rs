//! `lb/*` against the emulator.
