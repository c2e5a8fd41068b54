//! `volume/*` against the emulator.
