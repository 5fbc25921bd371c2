//! Every word the web UI shows, in French (the default) and English, and how a request picks its language.
//!
//! It exists so that a translation is one table: each language is one [`Texts`] value, and templates and handlers
//! only ever read fields of it. Sentences with values take `{name}` placeholders, filled by [`fill`], so that each
//! language orders its own words.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::common::money_format;

use crate::deals::score_wording::{self, ScoreWording};
use crate::publish::french;
use crate::publish::shortfall_wording::{self, ShortfallWording};
use crate::store::evidence::Evidence;
use crate::store::shop_overview::RunRequests;

/// A language of the UI.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    Fr,
    En,
}

impl Lang {
    /// The words the score explanation is written in.
    pub fn score_wording(self) -> &'static ScoreWording {
        match self {
            Lang::Fr => &score_wording::FRENCH,
            Lang::En => &score_wording::ENGLISH,
        }
    }

    /// The words an account's shortfall is explained in (the admin).
    pub fn shortfall_wording(self) -> &'static ShortfallWording {
        match self {
            Lang::Fr => &shortfall_wording::FRENCH,
            Lang::En => &shortfall_wording::ENGLISH,
        }
    }

    /// The language's code (`fr`, `en`), as in `?lang=` and `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// The language `?lang=` names (`fr`, `en`, any case).
    pub fn parse(code: &str) -> Option<Lang> {
        match code.to_ascii_lowercase().as_str() {
            "fr" => Some(Lang::Fr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The preferred of French and English in an `Accept-Language` header (French when it names neither).
    ///
    /// Hand-written: two languages and a weighted list do not warrant a negotiation crate.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(Decimal, usize, Lang)> = None;
        for (position, item) in header.split(',').enumerate() {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let primary = tag.split('-').next().unwrap_or("");
            let Some(lang) = Lang::parse(primary) else { continue };
            let weight = parts
                .filter_map(|param| param.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<Decimal>().ok())
                .unwrap_or(Decimal::ONE);
            if weight <= Decimal::ZERO {
                continue;
            }
            // Higher weight wins; among equal weights, the one listed first.
            let better = match best {
                None => true,
                Some((best_weight, best_position, _)) => {
                    weight > best_weight || (weight == best_weight && position < best_position)
                }
            };
            if better {
                best = Some((weight, position, lang));
            }
        }
        best.map_or(Lang::Fr, |(_, _, lang)| lang)
    }

    /// The words of this language.
    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Fr => &FRENCH,
            Lang::En => &ENGLISH,
        }
    }

    /// An amount as this language writes it ([`money_format`]): `1 299,00 €` in French (as the posts say it),
    /// `1,299.00 €` in English.
    pub fn money(self, amount: Decimal, currency: Option<&str>) -> String {
        match self {
            Lang::Fr => money_format::french(amount, currency),
            Lang::En => money_format::english(amount, currency),
        }
    }

    /// A percentage rounded to a whole number: `30 %` (French, with a no-break space) or `30%`.
    pub fn percent(self, pct: Decimal) -> String {
        match self {
            Lang::Fr => french::format_percent(pct),
            Lang::En => format!("{}%", pct.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)),
        }
    }

    /// A date in `zone` (the reader's): `20/11/2026` or `2026-11-20`.
    pub fn date(self, at: DateTime<Utc>, zone: Tz) -> String {
        let local = at.with_timezone(&zone);
        match self {
            Lang::Fr => local.format("%d/%m/%Y").to_string(),
            Lang::En => local.format("%Y-%m-%d").to_string(),
        }
    }

    /// A run's requests, and what spared the others: `417 (304 : 0; sautées (sitemap) : 0; prix lus sur les listes : 19980)`.
    pub fn run_requests(self, requests: &RunRequests) -> String {
        let (colon, skipped, cards) = match self {
            Lang::Fr => ("\u{a0}:", "sautées (sitemap)", "prix lus sur les listes"),
            Lang::En => (":", "skipped (sitemap)", "prices from listings"),
        };
        format!(
            "{} (304{colon} {}; {skipped}{colon} {}; {cards}{colon} {})",
            requests.total(),
            requests.not_modified,
            requests.skipped_by_lastmod,
            requests.listing_observations
        )
    }

    /// What a sent post was based on, for the deal page: `Preuve : prix de référence 39,90 € vu le 01/12/2026 18:30 CET ;
    /// 3 relevés jusqu'à l'envoi ; copie de la page lue avant l'envoi (https://…) conservée par dealcast` (or when it
    /// was pruned).
    pub fn evidence_line(self, evidence: &Evidence, currency: Option<&str>, zone: Tz) -> String {
        let reference = evidence.reference_price.map(|price| self.money(price, currency));
        let seen = evidence.reference_seen_at.map(|at| self.date_time(at, zone));
        let observations = evidence.observations.len();
        let page_url = evidence.page_url.as_deref().map(|url| format!(" ({url})")).unwrap_or_default();
        let kept = evidence.page_stored_bytes.is_some();
        let pruned = evidence.page_pruned_at.map(|at| self.date_time(at, zone));
        let nbsp = '\u{a0}';
        match self {
            Lang::Fr => format!(
                "Preuve{nbsp}: {}{nbsp}; {observations} relevé{} jusqu'à l'envoi{}",
                match (reference, seen) {
                    (Some(price), Some(at)) => format!("prix de référence {price} vu le {at}"),
                    (Some(price), None) => format!("prix de référence {price}"),
                    _ => "pas de prix de référence".to_string(),
                },
                if observations == 1 { "" } else { "s" },
                match (kept, pruned) {
                    (true, _) => format!("{nbsp}; copie de la page lue avant l'envoi{page_url} conservée par dealcast"),
                    (false, Some(at)) => format!(
                        "{nbsp}; copie de la page lue avant l'envoi{page_url} supprimée le {at}, après sa durée de \
                         conservation"
                    ),
                    (false, None) => String::new(),
                },
            ),
            Lang::En => format!(
                "Evidence: {}; {observations} observation{} up to the post{}",
                match (reference, seen) {
                    (Some(price), Some(at)) => format!("reference price {price} seen on {at}"),
                    (Some(price), None) => format!("reference price {price}"),
                    _ => "no reference price".to_string(),
                },
                if observations == 1 { "" } else { "s" },
                match (kept, pruned) {
                    (true, _) => format!("; a copy of the page read before posting{page_url} is kept by dealcast"),
                    (false, Some(at)) => {
                        format!(
                            "; the copy of the page read before posting{page_url} was pruned on {at}, after its retention"
                        )
                    }
                    (false, None) => String::new(),
                }
            ),
        }
    }

    /// A date and time in `zone` (the reader's), with the zone's abbreviation: `20/11/2026 18:30 CET`.
    pub fn date_time(self, at: DateTime<Utc>, zone: Tz) -> String {
        let local = at.with_timezone(&zone);
        match self {
            Lang::Fr => local.format("%d/%m/%Y %H:%M %Z").to_string(),
            Lang::En => local.format("%Y-%m-%d %H:%M %Z").to_string(),
        }
    }
}

pub use crate::common::placeholders::fill;

/// Every text of the UI in one language.
#[derive(Debug)]
pub struct Texts {
    pub site_name: &'static str,
    pub tagline: &'static str,
    /// The answer to every request while the database is away (503, `web::ops`).
    pub database_away: &'static str,
    pub nav_deals: &'static str,
    pub nav_shops: &'static str,
    pub nav_publications: &'static str,
    pub nav_feed: &'static str,
    pub other_language: &'static str,
    pub other_language_code: &'static str,
    pub search_label: &'static str,
    pub search_placeholder: &'static str,
    pub shop_label: &'static str,
    pub any_shop: &'static str,
    pub category_label: &'static str,
    pub min_discount_label: &'static str,
    pub min_price_label: &'static str,
    pub max_price_label: &'static str,
    pub verdict_label: &'static str,
    pub any_verdict: &'static str,
    pub state_label: &'static str,
    pub state_active: &'static str,
    pub state_ended: &'static str,
    pub state_all: &'static str,
    pub apply: &'static str,
    pub reset: &'static str,
    pub no_deals: &'static str,
    pub next_page: &'static str,
    pub first_page: &'static str,
    pub price: &'static str,
    pub reference_price: &'static str,
    pub claimed_price: &'static str,
    pub real_discount: &'static str,
    pub claimed_discount: &'static str,
    pub score: &'static str,
    pub ended: &'static str,
    pub verdict_honest: &'static str,
    pub verdict_inflated: &'static str,
    pub verdict_unverified: &'static str,
    pub verdict_none: &'static str,
    /// Placeholders: {began}, {reference}, {real}.
    pub explain_honest: &'static str,
    /// Placeholders: {began}, {reference}, {claim}.
    pub explain_inflated: &'static str,
    /// Placeholders: {began}, {claim}.
    pub explain_unverified: &'static str,
    pub explain_none: &'static str,
    pub explain_no_price: &'static str,
    pub unknown: &'static str,
    pub see_in_shop: &'static str,
    pub brand: &'static str,
    pub category: &'static str,
    pub availability: &'static str,
    pub in_stock: &'static str,
    pub out_of_stock: &'static str,
    pub preorder: &'static str,
    pub limited: &'static str,
    pub promo_code: &'static str,
    pub ends_at: &'static str,
    pub first_seen: &'static str,
    pub last_seen: &'static str,
    pub why_this_score: &'static str,
    pub price_history: &'static str,
    pub chart_label: &'static str,
    pub date: &'static str,
    pub elsewhere: &'static str,
    pub nowhere_else: &'static str,
    pub published: &'static str,
    pub not_published: &'static str,
    pub see_post: &'static str,
    pub quality_flags: &'static str,
    pub shop_unhealthy: &'static str,
    pub shops_title: &'static str,
    pub healthy: &'static str,
    pub unhealthy: &'static str,
    pub acknowledged: &'static str,
    pub active_offers: &'static str,
    pub active_deals: &'static str,
    pub recent_runs: &'static str,
    pub no_runs: &'static str,
    pub run_started: &'static str,
    pub run_status: &'static str,
    pub pages: &'static str,
    pub offers_seen: &'static str,
    pub offers_new: &'static str,
    pub offers_changed: &'static str,
    pub errors: &'static str,
    pub requests: &'static str,
    pub errors_by_kind: &'static str,
    pub no_errors: &'static str,
    pub no_shops: &'static str,
    pub shop_feed: &'static str,
    pub publications_title: &'static str,
    pub account: &'static str,
    pub any_account: &'static str,
    pub status: &'static str,
    pub any_status: &'static str,
    pub deal: &'static str,
    pub text: &'static str,
    pub no_publications: &'static str,
    pub older: &'static str,
    pub bad_request: &'static str,
    pub not_found: &'static str,
    pub not_found_text: &'static str,
    pub server_error: &'static str,
    pub server_error_text: &'static str,
    pub back_home: &'static str,
    pub feed_title: &'static str,
    pub feed_shop_title: &'static str,
    pub nav_admin: &'static str,
    pub forbidden: &'static str,
    pub form_expired: &'static str,
    pub login_required: &'static str,
    pub login_required_text: &'static str,
    pub admin_title: &'static str,
    pub login_title: &'static str,
    pub password_label: &'static str,
    pub log_in: &'static str,
    pub log_out: &'static str,
    pub login_wrong: &'static str,
    /// Placeholder: {minutes}.
    pub login_too_many: &'static str,
    pub admin_disabled: &'static str,
    pub admin_enable_step_hash: &'static str,
    pub admin_enable_step_config: &'static str,
    pub admin_enable_step_restart: &'static str,
    pub review_queue: &'static str,
    pub review_hint: &'static str,
    pub nothing_to_review: &'static str,
    pub weighted_length: &'static str,
    pub approve: &'static str,
    pub reject: &'static str,
    pub reject_reason: &'static str,
    pub unhealthy_shops: &'static str,
    pub unhealthy_shops_hint: &'static str,
    pub no_unhealthy_shops: &'static str,
    pub acknowledge: &'static str,
    pub accounts_title: &'static str,
    pub no_accounts: &'static str,
    pub account_paused: &'static str,
    pub account_active: &'static str,
    pub rate_limited_until: &'static str,
    pub pause: &'static str,
    pub resume: &'static str,
    pub pause_reason: &'static str,
    pub default_pause_reason: &'static str,
    pub done_approved: &'static str,
    pub done_edited: &'static str,
    pub done_rejected: &'static str,
    pub done_acknowledged: &'static str,
    pub done_paused: &'static str,
    pub done_resumed: &'static str,
    pub text_empty: &'static str,
    /// Placeholders: {length}, {max}.
    pub text_too_long: &'static str,
    pub text_taken: &'static str,
    pub post_gone: &'static str,
    /// An edited claim-only post lost the words attributing its discount to the shop.
    pub claim_not_attributed: &'static str,
    /// The mark of a post whose discount is only the shop's claim.
    pub claim_only_mark: &'static str,
    /// Above the reasons an account's slot would post fewer deals than it wants.
    pub why_fewer_posts: &'static str,
}

/// The French UI (the default).
pub static FRENCH: Texts = Texts {
    site_name: "dealcast",
    tagline: "Les vraies promos, vérifiées sur 30 jours d'historique de prix.",
    database_away: "La base de données est momentanément indisponible ; réessayez dans quelques secondes.",
    nav_deals: "Promos",
    nav_shops: "Boutiques",
    nav_publications: "Publications",
    nav_feed: "Flux Atom",
    other_language: "English",
    other_language_code: "en",
    search_label: "Recherche",
    search_placeholder: "chaussures, aspirateur…",
    shop_label: "Boutique",
    any_shop: "Toutes",
    category_label: "Catégorie",
    min_discount_label: "Réduction réelle min. (%)",
    min_price_label: "Prix min.",
    max_price_label: "Prix max.",
    verdict_label: "Verdict",
    any_verdict: "Tous",
    state_label: "État",
    state_active: "En cours",
    state_ended: "Terminées",
    state_all: "Toutes",
    apply: "Filtrer",
    reset: "Tout effacer",
    no_deals: "Aucune promo ne correspond à ces critères.",
    next_page: "Page suivante",
    first_page: "Première page",
    price: "Prix",
    reference_price: "Prix de référence (plus bas sur 30 jours)",
    claimed_price: "Prix barré annoncé",
    real_discount: "Réduction réelle",
    claimed_discount: "Réduction annoncée",
    score: "Score",
    ended: "terminée",
    verdict_honest: "Vraie promo",
    verdict_inflated: "Fausse réduction",
    verdict_unverified: "Non vérifiée",
    verdict_none: "Pas de réduction",
    explain_honest: "Vraie promo : le prix le plus bas des 30 jours précédant la baisse du {began} était de {reference} ; \
                     la réduction réelle est de {real}.",
    explain_inflated: "Fausse réduction : la boutique annonce un prix barré de {claim}, mais vendait ce produit \
                       {reference} dans les 30 jours précédant la baisse du {began}.",
    explain_unverified: "Non vérifiée : dealcast n'a pas 30 jours d'historique avant la baisse du {began} ; le prix \
                         barré de {claim} est celui qu'annonce la boutique, sans vérification possible.",
    explain_none: "Pas de réduction : le prix n'a pas baissé et la boutique n'annonce pas de prix barré plus élevé.",
    explain_no_price: "Pas encore jugée : cette offre n'a pas de prix à juger.",
    unknown: "inconnu",
    see_in_shop: "Voir en boutique",
    brand: "Marque",
    category: "Catégorie",
    availability: "Disponibilité",
    in_stock: "en stock",
    out_of_stock: "en rupture",
    preorder: "en précommande",
    limited: "stock limité",
    promo_code: "Code promo",
    ends_at: "Fin de l'offre",
    first_seen: "Vue pour la première fois",
    last_seen: "Vue pour la dernière fois",
    why_this_score: "Pourquoi ce score",
    price_history: "Historique des prix",
    chart_label: "Évolution du prix",
    date: "Date",
    elsewhere: "Le même produit ailleurs",
    nowhere_else: "Aucune autre boutique ne vend ce produit (même code EAN).",
    published: "Publications",
    not_published: "Cette promo n'a pas été publiée.",
    see_post: "Voir la publication",
    quality_flags: "Problèmes de données",
    shop_unhealthy: "Boutique en mauvaise santé",
    shops_title: "Santé des boutiques",
    healthy: "En bonne santé",
    unhealthy: "En mauvaise santé",
    acknowledged: "Acquitté par",
    active_offers: "Offres actives",
    active_deals: "Promos actives",
    recent_runs: "Dernières collectes",
    no_runs: "Aucune collecte pour l'instant.",
    run_started: "Début",
    run_status: "Statut",
    pages: "Pages",
    offers_seen: "Offres vues",
    offers_new: "Nouvelles",
    offers_changed: "Modifiées",
    errors: "Erreurs",
    requests: "Requêtes",
    errors_by_kind: "Erreurs par type (dernières collectes)",
    no_errors: "aucune",
    no_shops: "Aucune boutique n'a encore été collectée.",
    shop_feed: "Flux Atom de la boutique",
    publications_title: "Publications",
    account: "Compte",
    any_account: "Tous",
    status: "Statut",
    any_status: "Tous",
    deal: "Promo",
    text: "Texte",
    no_publications: "Aucune publication pour l'instant.",
    older: "Plus anciennes",
    bad_request: "Requête invalide",
    not_found: "Page introuvable",
    not_found_text: "Il n'y a rien à cette adresse.",
    server_error: "Erreur du serveur",
    server_error_text: "Quelque chose s'est mal passé de notre côté. Réessayez dans un instant.",
    back_home: "Retour aux promos",
    feed_title: "dealcast : les meilleures promos",
    feed_shop_title: "dealcast : les meilleures promos de {shop}",
    nav_admin: "Admin",
    forbidden: "Action refusée",
    form_expired: "Ce formulaire a expiré ou ne vient pas de cette page. Rechargez la page et recommencez.",
    login_required: "Connexion requise",
    login_required_text: "Cette action demande d'être connecté à l'administration.",
    admin_title: "Administration",
    login_title: "Connexion à l'administration",
    password_label: "Mot de passe",
    log_in: "Se connecter",
    log_out: "Se déconnecter",
    login_wrong: "Mot de passe incorrect.",
    login_too_many: "Trop de tentatives de connexion. Réessayez dans {minutes} min.",
    admin_disabled: "L'administration est désactivée : aucun mot de passe n'est configuré.",
    admin_enable_step_hash: "Créez l'empreinte (hash argon2) du mot de passe ; la commande lit le mot de passe sur l'entrée standard :",
    admin_enable_step_config: "Mettez-la dans la section [web] du fichier de configuration, ou dans la variable d'environnement DEALCAST_ADMIN_PASSWORD_HASH :",
    admin_enable_step_restart: "Puis redémarrez dealcast.",
    review_queue: "File de relecture",
    review_hint: "Les comptes en mode « curated » attendent qu'une personne approuve chaque publication. Modifiez le texte avant d'approuver si besoin : il est vérifié à nouveau (280 caractères pondérés au plus).",
    nothing_to_review: "Rien n'attend de relecture.",
    weighted_length: "Longueur pondérée",
    approve: "Approuver",
    reject: "Rejeter",
    reject_reason: "Motif du rejet (facultatif)",
    unhealthy_shops: "Boutiques en mauvaise santé",
    unhealthy_shops_hint: "Leurs promos ne sont plus publiées. Acquitter dit que ce changement est normal : elles peuvent de nouveau l'être.",
    no_unhealthy_shops: "Toutes les boutiques sont en bonne santé.",
    acknowledge: "Acquitter",
    accounts_title: "Comptes de publication",
    no_accounts: "Aucun compte de publication n'a encore servi.",
    account_paused: "En pause",
    account_active: "Actif",
    rate_limited_until: "Limité par la plateforme jusqu'au",
    pause: "Mettre en pause",
    resume: "Reprendre",
    pause_reason: "Motif de la pause",
    default_pause_reason: "mis en pause depuis l'administration web",
    done_approved: "Publication approuvée : elle partira aux prochains créneaux du compte.",
    done_edited: "Publication approuvée avec le texte modifié.",
    done_rejected: "Publication rejetée.",
    done_acknowledged: "Boutique acquittée : ses promos peuvent de nouveau être publiées.",
    done_paused: "Compte mis en pause.",
    done_resumed: "Compte repris.",
    text_empty: "Le texte est vide.",
    text_too_long: "Le texte fait {length} caractères pondérés ; X en accepte {max}.",
    text_taken: "Une autre publication a exactement ce texte ; changez quelques mots.",
    post_gone: "Cette publication n'attend plus de relecture (quelqu'un d'autre l'a traitée ?).",
    claim_not_attributed: "Cette réduction n'est qu'annoncée par la boutique, non vérifiée : le texte doit garder « annoncé par la boutique ».",
    claim_only_mark: "Non vérifiée : la réduction est seulement annoncée par la boutique (dealcast n'a pas encore vu le prix avant la réduction).",
    why_fewer_posts: "Moins de publications que prévu :",
};

/// The English UI (`?lang=en`, or a browser that prefers English).
pub static ENGLISH: Texts = Texts {
    site_name: "dealcast",
    tagline: "Real deals, checked against 30 days of price history.",
    database_away: "The database is unavailable for a moment; try again in a few seconds.",
    nav_deals: "Deals",
    nav_shops: "Shops",
    nav_publications: "Publications",
    nav_feed: "Atom feed",
    other_language: "Français",
    other_language_code: "fr",
    search_label: "Search",
    search_placeholder: "shoes, vacuum…",
    shop_label: "Shop",
    any_shop: "All",
    category_label: "Category",
    min_discount_label: "Min. real discount (%)",
    min_price_label: "Min. price",
    max_price_label: "Max. price",
    verdict_label: "Verdict",
    any_verdict: "All",
    state_label: "State",
    state_active: "Running",
    state_ended: "Ended",
    state_all: "All",
    apply: "Filter",
    reset: "Clear all",
    no_deals: "No deal matches these filters.",
    next_page: "Next page",
    first_page: "First page",
    price: "Price",
    reference_price: "Reference price (30-day low)",
    claimed_price: "Claimed previous price",
    real_discount: "Real discount",
    claimed_discount: "Claimed discount",
    score: "Score",
    ended: "ended",
    verdict_honest: "Real deal",
    verdict_inflated: "Inflated discount",
    verdict_unverified: "Unverified",
    verdict_none: "Not reduced",
    explain_honest: "Real deal: the lowest price in the 30 days before the price fell on {began} was {reference}; the \
                     real discount is {real}.",
    explain_inflated: "Inflated discount: the shop claims a previous price of {claim}, but sold it at {reference} \
                       within the 30 days before the sale began on {began}.",
    explain_unverified: "Unverified: dealcast has less than 30 days of history before the sale began on {began}; the \
                         previous price of {claim} is the shop's claim, which could not be checked.",
    explain_none: "Not reduced: the price has not fallen and the shop claims no higher previous price.",
    explain_no_price: "Not judged yet: this offer has no price to judge.",
    unknown: "unknown",
    see_in_shop: "See it in the shop",
    brand: "Brand",
    category: "Category",
    availability: "Availability",
    in_stock: "in stock",
    out_of_stock: "out of stock",
    preorder: "pre-order",
    limited: "limited stock",
    promo_code: "Promo code",
    ends_at: "Ends",
    first_seen: "First seen",
    last_seen: "Last seen",
    why_this_score: "Why this score",
    price_history: "Price history",
    chart_label: "Price over time",
    date: "Date",
    elsewhere: "The same product elsewhere",
    nowhere_else: "No other shop sells this product (same EAN).",
    published: "Publications",
    not_published: "This deal has not been published.",
    see_post: "See the post",
    quality_flags: "Data problems",
    shop_unhealthy: "Shop unhealthy",
    shops_title: "Shop health",
    healthy: "Healthy",
    unhealthy: "Unhealthy",
    acknowledged: "Acknowledged by",
    active_offers: "Active offers",
    active_deals: "Active deals",
    recent_runs: "Latest runs",
    no_runs: "No runs yet.",
    run_started: "Started",
    run_status: "Status",
    pages: "Pages",
    offers_seen: "Offers seen",
    offers_new: "New",
    offers_changed: "Changed",
    errors: "Errors",
    requests: "Requests",
    errors_by_kind: "Errors by kind (latest runs)",
    no_errors: "none",
    no_shops: "No shop has been scraped yet.",
    shop_feed: "Shop's Atom feed",
    publications_title: "Publications",
    account: "Account",
    any_account: "All",
    status: "Status",
    any_status: "All",
    deal: "Deal",
    text: "Text",
    no_publications: "Nothing published yet.",
    older: "Older",
    bad_request: "Invalid request",
    not_found: "Page not found",
    not_found_text: "There is nothing at this address.",
    server_error: "Server error",
    server_error_text: "Something went wrong on our side. Please try again in a moment.",
    back_home: "Back to the deals",
    feed_title: "dealcast: the best deals",
    feed_shop_title: "dealcast: the best deals of {shop}",
    nav_admin: "Admin",
    forbidden: "Action refused",
    form_expired: "This form has expired or did not come from this page. Reload the page and try again.",
    login_required: "Login required",
    login_required_text: "This action needs an admin login.",
    admin_title: "Administration",
    login_title: "Admin login",
    password_label: "Password",
    log_in: "Log in",
    log_out: "Log out",
    login_wrong: "Wrong password.",
    login_too_many: "Too many login attempts. Try again in {minutes} min.",
    admin_disabled: "The admin is disabled: no password is configured.",
    admin_enable_step_hash: "Make the password's argon2 hash; the command reads the password from standard input:",
    admin_enable_step_config: "Put it in the [web] section of the configuration file, or in the environment variable DEALCAST_ADMIN_PASSWORD_HASH:",
    admin_enable_step_restart: "Then restart dealcast.",
    review_queue: "Review queue",
    review_hint: "Curated accounts wait for a person to approve each post. Edit the text before approving if needed: it is checked again (280 weighted characters at most).",
    nothing_to_review: "Nothing waits for review.",
    weighted_length: "Weighted length",
    approve: "Approve",
    reject: "Reject",
    reject_reason: "Reason for rejecting (optional)",
    unhealthy_shops: "Unhealthy shops",
    unhealthy_shops_hint: "Their deals are no longer published. Acknowledging says the change is normal: they may be published again.",
    no_unhealthy_shops: "Every shop is healthy.",
    acknowledge: "Acknowledge",
    accounts_title: "Publishing accounts",
    no_accounts: "No publishing account has run yet.",
    account_paused: "Paused",
    account_active: "Active",
    rate_limited_until: "Rate limited by the platform until",
    pause: "Pause",
    resume: "Resume",
    pause_reason: "Reason for pausing",
    default_pause_reason: "paused from the web admin",
    done_approved: "Post approved: it goes out at the account's next slots.",
    done_edited: "Post approved with the edited text.",
    done_rejected: "Post rejected.",
    done_acknowledged: "Shop acknowledged: its deals may be published again.",
    done_paused: "Account paused.",
    done_resumed: "Account resumed.",
    text_empty: "The text is empty.",
    text_too_long: "The text is {length} weighted characters long; X allows {max}.",
    text_taken: "Another post already has exactly this text; change a few words.",
    post_gone: "This post no longer waits for review (did someone else decide?).",
    claim_not_attributed: "This discount is only the shop's claim, unverified: the text must keep \"annoncé par la boutique\".",
    claim_only_mark: "Unverified: the discount is only the shop's claim (dealcast has not yet seen the price before the reduction).",
    why_fewer_posts: "Fewer posts than a slot wants:",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browser_preferring_english_gets_english() {
        assert_eq!(Lang::from_accept_language("en-GB,en;q=0.9,fr;q=0.8"), Lang::En);
    }

    #[test]
    fn weights_decide_over_order() {
        assert_eq!(Lang::from_accept_language("en;q=0.5, fr-FR;q=0.9"), Lang::Fr);
        assert_eq!(Lang::from_accept_language("de, en;q=0.7, fr;q=0.3"), Lang::En);
    }

    #[test]
    fn a_browser_naming_neither_language_gets_french() {
        assert_eq!(Lang::from_accept_language("de-DE,de;q=0.9"), Lang::Fr);
        assert_eq!(Lang::from_accept_language(""), Lang::Fr);
        assert_eq!(Lang::from_accept_language("en;q=0"), Lang::Fr);
    }

    #[test]
    fn french_money_uses_the_publishing_format() {
        let amount: Decimal = "1299.5".parse().unwrap();
        assert_eq!(Lang::Fr.money(amount, Some("EUR")), "1\u{202F}299,50\u{A0}€");
        assert_eq!(Lang::En.money(amount, Some("EUR")), "1,299.50 €");
    }
}
