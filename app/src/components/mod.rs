//! Building blocks shared by the pages.

pub mod activity;
pub mod aliases;
pub mod approvals;
pub mod checks;
pub mod comments;
pub mod crumbs;
pub mod datasets;
pub mod experiment_permissions;
pub mod form;
pub mod layout;
pub mod logged_models;
pub mod markdown;
pub mod metric_chart;
pub mod mlflow_links;
pub mod modal;
pub mod permissions;
pub mod runs_table;
pub mod signing_keys;
pub mod tags;
pub mod toast;
pub mod training_run;
pub mod tree;
pub mod version_files;
pub mod widgets;
