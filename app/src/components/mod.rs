//! Widgets shared by the pages.

pub mod form;
pub mod live;
pub mod shell;
pub mod table;
