//! Deals: judging whether a shop's discount is real, and ranking offers by how good a deal they are.
//!
//! It exists because a deals account lives or dies by trust. Shops announce reductions from "was" prices that were
//! never charged, or raise a price for a few days just before a "sale"; EU law (Directive 98/6/EC art. 6a, the
//! Omnibus rule, France's Code de la consommation L112-1-1) says an announced reduction is measured from the lowest
//! price of the 30 days before it began. dealcast remembers every price it sees, so it can apply that rule itself
//! ([`honesty`]) and rank deals by the discount they really give ([`score`]), with every part of the score explained.
//!
//! Both modules are pure: they take an offer's history and the current time as arguments and never touch the
//! database, so they are tested over simulated time. The store calls them and keeps their results in columns.

pub mod honesty;
pub mod score;
pub mod score_wording;
