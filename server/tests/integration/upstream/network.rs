//! `network/*` against the emulator.
