//! The client's receipt: a printable page in the language of the five points, saying which OCMW
//! will call and how to reach it, which *kinds* of data went, and how to take consent back.
//!
//! It holds none of the client's values and never the password. It is a file the worker saves
//! and may print, outside the encrypted store, on a laptop that may sync its documents; the
//! client knows their own name, and the reference ties the receipt to the referral.

use serde::Deserialize;
use zeroize::Zeroizing;

use super::document::{self, Block};
use super::{PackageError, Referrer};
use crate::agreement::Agreement;
use crate::consent::Language;
use crate::referral::ReadyReferral;

const TEXTS: &str = include_str!("../../texts/receipt-2026-2.json");

#[derive(Deserialize)]
struct File {
    languages: Languages,
}

#[derive(Deserialize)]
struct Languages {
    nl: Texts,
    fr: Texts,
    en: Texts,
}

#[derive(Deserialize)]
struct Texts {
    title: String,
    reference: String,
    date: String,
    intro: String,
    reach: String,
    data_heading: String,
    categories: String,
    withdraw_heading: String,
    withdraw: String,
    privacy_heading: String,
    privacy: String,
    footer: String,
}

pub(super) fn render(
    ready: &ReadyReferral,
    agreement: &Agreement,
    referrer: &Referrer,
) -> Result<Zeroizing<Vec<u8>>, PackageError> {
    let file: File = serde_json::from_str(TEXTS).map_err(|e| PackageError::Json(e.to_string()))?;
    let language = ready.consent.language;
    let t = match language {
        Language::Nl => file.languages.nl,
        Language::Fr => file.languages.fr,
        Language::En => file.languages.en,
    };
    let fill = |s: &str| {
        s.replace("{recipient}", &ready.recipient_name)
            .replace("{worker}", &referrer.name)
            .replace("{team}", &referrer.team)
            .replace("{worker_phone}", &crate::contact::shown(&referrer.phone))
            .replace("{worker_email}", &referrer.email)
            .replace("{reference}", ready.reference.as_str())
            .replace("{dpo}", &agreement.dpo_email)
            .replace(
                "{recipient_phone}",
                &crate::contact::shown(&agreement.password_phone),
            )
    };
    let blocks = vec![
        Block::Title(t.title.clone()),
        Block::Subtitle(format!(
            "{} {} · {} {}",
            t.reference,
            ready.reference,
            t.date,
            ready.consent.given_at.format("%d/%m/%Y")
        )),
        Block::Paragraph(fill(&t.intro)),
        Block::Paragraph(fill(&t.reach)),
        Block::Heading(t.data_heading),
        Block::Paragraph(t.categories),
        Block::Heading(t.withdraw_heading),
        Block::Paragraph(fill(&t.withdraw)),
        Block::Heading(t.privacy_heading),
        Block::Paragraph(fill(&t.privacy)),
        Block::Small(fill(&t.footer)),
    ];
    let bcp47 = match language {
        Language::Nl => "nl-BE",
        Language::Fr => "fr-BE",
        Language::En => "en",
    };
    Ok(document::render(&t.title, bcp47, &blocks)?)
}
