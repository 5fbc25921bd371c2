//! Publishing deals to social accounts. This module owns everything between a judged deal and a post on a
//! platform; it exists so that what followers read (honest figures, French formatting, the platform's length
//! limit) is decided in one place, as pure functions, and so that talking to each platform (`x`) stays apart from
//! deciding what to say.

pub mod accounts;
pub mod compose;
pub mod french;
pub mod text_length;
pub mod x;
