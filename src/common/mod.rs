//! Small text tools every layer may use, tied to no feature: reading TOML with every problem reported, and filling
//! the `{name}` placeholders of worded sentences.

pub mod placeholders;
pub mod toml_problems;
