//! `dns2/*` against the emulator.
