//! The words of a [`super::shortfall::Shortfall`], in each language a reader may ask for: the terminal
//! (`publish --dry-run`) speaks English, the admin French by default. The shortfall holds numbers and facts only;
//! this table turns them into sentences, so that a French page never shows an English explanation.

/// The phrases of one language; `{name}` placeholders are filled with the numbers, names and dates.
#[derive(Debug, Clone, Copy)]
pub struct ShortfallWording {
    /// `{going}`, `{wanted}`, `{examined}`.
    pub summary: &'static str,
    pub nothing_judged: &'static str,
    pub shop_unhealthy: &'static str,
    pub already_posted: &'static str,
    pub no_real_discount_yet: &'static str,
    pub verdict_not_allowed: &'static str,
    pub below_minimum: &'static str,
    pub held: &'static str,
    /// `{hold}`: what holds the posts back now.
    pub waiting_now: &'static str,
    pub no_price_change: &'static str,
    /// `{count}`.
    pub price_changes: &'static str,
    /// `{id}`, `{name}`, `{first_seen}`, `{changes}`, `{waiting}`, `{complete}`.
    pub young_shop: &'static str,
    /// `{count}`.
    pub claims_for_review: &'static str,
    pub hint_review_claims: &'static str,
    pub hint_auto_never_claims: &'static str,
}

/// English, as `dealcast publish --dry-run` writes it.
pub const ENGLISH: ShortfallWording = ShortfallWording {
    summary: "{going} of the {wanted} post(s) a slot wants would go out now. Of the {examined} best deal(s) of the \
              account's shops and categories:",
    nothing_judged: "(none: no shop of the account has a judged deal yet; run a harvest)",
    shop_unhealthy: "shop unhealthy (its last harvest went wrong)",
    already_posted: "already posted, waiting to go out or in review",
    no_real_discount_yet: "no real discount yet: dealcast has not seen their price before the reduction, so only the \
                           shop's claim is known",
    verdict_not_allowed: "verdict not allowed by filters.verdicts",
    below_minimum: "real discount or score below the account's minimum",
    held: "held by the per-shop cap, caps, budget or quiet hours",
    waiting_now: "Posts wait now: {hold}.",
    no_price_change: "no price change observed yet",
    price_changes: "{count} offer(s) have changed price since",
    young_shop: "Shop {id} ({name}) is new to dealcast: first seen {first_seen}, {changes}. Its {waiting} deal(s) get a \
                 real discount as soon as a harvest sees their price fall; every claim can be checked from {complete} \
                 (30 days of history).",
    claims_for_review: "{count} deal(s) with only the shop's claimed discount go to the review queue \
                        (filters.claimed = \"review\"), worded \"annoncé par la boutique\".",
    hint_review_claims: "A person could review the best of them as the shop's claim: set filters.claimed = \"review\" \
                         (README, \"An account's first day\").",
    hint_auto_never_claims: "An auto account posts only real discounts, never a shop's claim alone; a curated account \
                             with filters.claimed = \"review\" can have a person approve claims (README, \"An \
                             account's first day\").",
};

/// French, as the admin shows it by default.
pub const FRENCH: ShortfallWording = ShortfallWording {
    summary: "{going} publication(s) sur les {wanted} voulues par créneau partiraient maintenant. Parmi les {examined} \
              meilleures offres des boutiques et catégories du compte :",
    nothing_judged: "(aucune : aucune boutique du compte n'a encore d'offre jugée ; lancez une collecte)",
    shop_unhealthy: "boutique en mauvais état (sa dernière collecte a échoué)",
    already_posted: "déjà publiées, en attente d'envoi ou en relecture",
    no_real_discount_yet: "pas encore de réduction réelle : dealcast n'a pas vu leur prix avant la réduction, seule \
                           l'annonce de la boutique est connue",
    verdict_not_allowed: "verdict exclu par filters.verdicts",
    below_minimum: "réduction réelle ou score sous le minimum du compte",
    held: "retenues par le plafond par boutique, les plafonds, le budget ou les heures calmes",
    waiting_now: "Les publications attendent : {hold}.",
    no_price_change: "aucun changement de prix observé pour l'instant",
    price_changes: "{count} offre(s) ont changé de prix depuis",
    young_shop: "La boutique {id} ({name}) est nouvelle : vue pour la première fois le {first_seen}, {changes}. Ses \
                 {waiting} offre(s) auront une réduction réelle dès qu'une collecte verra leur prix baisser ; toute \
                 annonce pourra être vérifiée à partir du {complete} (30 jours d'historique).",
    claims_for_review: "{count} offre(s) avec seulement la réduction annoncée par la boutique vont en relecture \
                        (filters.claimed = \"review\"), formulées « annoncé par la boutique ».",
    hint_review_claims: "Une personne pourrait en relire les meilleures comme annonces de la boutique : \
                         filters.claimed = \"review\" (README, « An account's first day »).",
    hint_auto_never_claims: "Un compte automatique ne publie que des réductions réelles, jamais une annonce seule ; \
                             un compte « curated » avec filters.claimed = \"review\" peut faire approuver les annonces \
                             par une personne (README, « An account's first day »).",
};
