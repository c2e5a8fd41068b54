//! Widgets shared by the pages.
//!
//! The page kit (one way to build an area's pages) is re-exported by [`kit`]:
//! `use crate::components::kit::*;`.

pub mod action;
pub mod confirm;
pub mod detail;
pub mod form;
pub mod list;
pub mod list_rules;
pub mod live;
pub mod nav;
pub mod notice;
pub mod palette;
pub mod shell;
pub mod table;
pub mod title;

/// The page kit in one import: [`list::ResourceList`] (with its columns, filters, search and
/// refresh), [`action::ActionButton`] and its forms [`action::ChoiceAction`] (pick, then act)
/// and [`action::InputAction`] (type, then act), [`confirm::DangerConfirm`], a detail page's
/// skeleton [`detail::detail_page`] with [`detail::DetailFrame`], [`detail::Card`] and
/// [`detail::RenameCard`], live refresh ([`live::refetch_on_live`], reads in the browser),
/// [`notice::ProblemNotice`] and [`notice::Viewer`], and the status badge.
pub mod kit {
    pub use super::action::{ActionButton, ChoiceAction, InputAction, Toasts};
    pub use super::confirm::DangerConfirm;
    pub use super::detail::{
        detail_page, keep_error, Card, DetailBack, DetailFrame, DetailSource, RenameCard,
    };
    pub use super::list::{
        clip, or_dash, Column, Filter, ListNote, ListSpec, ListState, Listing, PageOf, Pageable,
        Refresh, ResourceList, Search, SortValue,
    };
    pub use super::live::{
        list_source, paged_source, read_in_browser, refetch_on_live, reread_in_browser, ListSource,
        StatusBadge,
    };
    pub use super::notice::{ProblemNotice, Viewer};
}
