//! Tools every layer may use, tied to no feature: reading TOML with every problem reported, filling the `{name}`
//! placeholders of worded sentences, and writing amounts of money the one way each audience reads them.

pub mod money_format;
pub mod placeholders;
pub mod toml_problems;
