//! `email/*` against the emulator.
