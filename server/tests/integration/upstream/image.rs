//! `image/*` against the emulator.
