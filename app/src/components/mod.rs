//! Widgets shared by the pages.

pub mod form;
pub mod shell;
pub mod table;
