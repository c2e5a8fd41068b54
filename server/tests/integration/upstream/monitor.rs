//! `monitor/*` against the emulator.
