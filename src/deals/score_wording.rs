//! The words of a score explanation, in each language a reader may ask for: the terminal and the API speak English,
//! the web UI French by default. The score itself ([`super::score`]) holds numbers and facts only; this module turns
//! them into one line per part, so a French page never shows an English explanation.

use rust_decimal::Decimal;

/// The phrases of one language. `{pct}`, `{saved}` and `{hours}` are replaced by the numbers.
#[derive(Debug, Clone, Copy)]
pub struct ScoreWording {
    pub real_discount: &'static str,
    pub claimed_discount: &'static str,
    pub no_discount: &'static str,
    pub saves: &'static str,
    pub saves_nothing: &'static str,
    pub honest: &'static str,
    pub inflated: &'static str,
    pub unverified: &'static str,
    pub not_judged: &'static str,
    pub already_ended: &'static str,
    pub ends_in: &'static str,
    pub no_end_date: &'static str,
    pub began_ago: &'static str,
    pub start_unknown: &'static str,
    pub in_stock: &'static str,
    pub out_of_stock: &'static str,
    pub stock_unknown: &'static str,
    pub running: &'static str,
    pub ended: &'static str,
    pub shop_weight: &'static str,
    pub total: &'static str,
    /// When the score was computed (`{time}`): its time-dependent parts hold as of then.
    pub as_of: &'static str,
    /// Whether decimals are written with a comma (`30,0`), as in French.
    pub decimal_comma: bool,
}

/// English, as `dealcast deals show` and the API write it.
pub const ENGLISH: ScoreWording = ScoreWording {
    real_discount: "real discount {pct} % vs the 30-day low",
    claimed_discount: "discount {pct} % claimed by the shop (no earlier price seen to check it)",
    no_discount: "no discount known",
    saves: "saves {saved}",
    saves_nothing: "saves nothing",
    honest: "verdict honest (30 days of history back the discount)",
    inflated: "verdict inflated (the shop's previous price is above the 30-day low)",
    unverified: "verdict unverified (too little history: the discount counts in part)",
    not_judged: "not judged",
    already_ended: "already ended, no ending-soon bonus",
    ends_in: "ends in {hours} h",
    no_end_date: "no end date",
    began_ago: "reduction began {hours} h ago",
    start_unknown: "reduction start unknown",
    in_stock: "in stock",
    out_of_stock: "out of stock",
    stock_unknown: "stock unknown",
    running: "promotion running",
    ended: "promotion ended",
    shop_weight: "shop weight",
    total: "total",
    as_of: "as of {time}",
    decimal_comma: false,
};

/// French, as the web UI writes it by default.
pub const FRENCH: ScoreWording = ScoreWording {
    real_discount: "réduction réelle de {pct} % par rapport au prix le plus bas des 30 jours",
    claimed_discount: "réduction de {pct} % annoncée par la boutique (aucun prix antérieur vu pour la vérifier)",
    no_discount: "aucune réduction connue",
    saves: "économie de {saved}",
    saves_nothing: "aucune économie",
    honest: "verdict honnête (30 jours d'historique confirment la réduction)",
    inflated: "verdict gonflé (le prix barré de la boutique dépasse le prix le plus bas des 30 jours)",
    unverified: "verdict non vérifié (historique trop court : la réduction ne compte qu'en partie)",
    not_judged: "pas encore jugée",
    already_ended: "déjà terminée, pas de bonus de fin proche",
    ends_in: "se termine dans {hours} h",
    no_end_date: "pas de date de fin",
    began_ago: "baisse commencée il y a {hours} h",
    start_unknown: "début de la baisse inconnu",
    in_stock: "en stock",
    out_of_stock: "en rupture de stock",
    stock_unknown: "stock inconnu",
    running: "promotion en cours",
    ended: "promotion terminée",
    shop_weight: "poids de la boutique",
    total: "total",
    as_of: "calculé le {time}",
    decimal_comma: true,
};

impl ScoreWording {
    /// `template` with `{name}` replaced by `value`.
    pub fn fill(&self, template: &str, name: &str, value: impl std::fmt::Display) -> String {
        crate::common::placeholders::fill(template, &[(name, &self.number(value.to_string()))])
    }

    /// A number as this language writes its decimal separator.
    pub fn number(&self, written: String) -> String {
        if self.decimal_comma { written.replace('.', ",") } else { written }
    }

    /// Points with their sign and one decimal: `+30.0`, `-12.5`.
    pub fn points(&self, value: Decimal) -> String {
        let rounded = value.round_dp(1);
        let written = if rounded.is_sign_negative() && !rounded.is_zero() {
            format!("{rounded:.1}")
        } else {
            format!("+{:.1}", rounded.abs())
        };
        self.number(written)
    }

    /// A factor: `×0.709`.
    pub fn factor(&self, value: Decimal) -> String {
        self.number(format!("×{}", value.normalize()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_numbers_take_a_decimal_comma() {
        assert_eq!(FRENCH.points(Decimal::new(305, 1)), "+30,5");
        assert_eq!(FRENCH.fill(FRENCH.real_discount, "pct", Decimal::new(250, 1)).split(' ').nth(3), Some("25,0"));
        assert_eq!(ENGLISH.points(Decimal::new(-125, 1)), "-12.5");
        assert_eq!(ENGLISH.factor(Decimal::new(7090, 4)), "×0.709");
    }
}
