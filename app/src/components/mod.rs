//! Building blocks shared by the pages.

pub mod crumbs;
pub mod form;
pub mod layout;
pub mod modal;
pub mod toast;
pub mod tree;
pub mod widgets;
