//! The withdrawal notice: tells the OCMW that a client took consent back, so it deletes the data.
//!
//! It names the client (the OCMW must know whose data to delete), so it travels like a package:
//! in an encrypted 7z, the password by phone or SMS (domain.md, "After sending": "the same
//! procedure as the referral"). When the client's data were already wiped here, it carries the
//! reference alone.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;
use zeroize::Zeroizing;

use super::document::{self, Block};
use super::{PackageError, PackageKind, RecipientBlock, Referrer, SCHEMA, SCHEMA_VERSION};
use crate::agreement::Agreement;
use crate::referral::Reference;
use crate::residence::Recipient;

pub const PDF_NAME: &str = "intrekking.pdf";
pub const JSON_NAME: &str = "intrekking.json";

/// Everything a withdrawal notice says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    pub schema: &'static str,
    pub schema_version: u32,
    pub kind: PackageKind,
    pub reference: Reference,
    pub created_at: DateTime<FixedOffset>,
    pub recipient: RecipientBlock,
    /// The client's name while it is still kept; `None` once wiped.
    pub client_name: Option<String>,
    pub withdrawn_on: NaiveDate,
    pub referrer: Referrer,
}

impl Notice {
    pub fn json(&self) -> Result<Zeroizing<Vec<u8>>, PackageError> {
        super::pretty_json(self)
    }

    pub fn pdf(&self) -> Result<Zeroizing<Vec<u8>>, PackageError> {
        let who = self
            .client_name
            .clone()
            .unwrap_or_else(|| "(niet meer bewaard bij Kind en Gezin)".into());
        let blocks = vec![
            Block::Title("Intrekking van toestemming".into()),
            Block::Subtitle(format!(
                "Referentie {} · {}",
                self.reference,
                self.created_at.format("%d/%m/%Y")
            )),
            Block::Notice(format!(
                "De cliënt heeft op {} de toestemming ingetrokken om gegevens door te geven aan {}. \
                 Wis alle gegevens van de aanmelding met referentie {}.",
                self.withdrawn_on.format("%d/%m/%Y"),
                self.recipient.name,
                self.reference
            )),
            Block::Heading("Cliënt".into()),
            Block::Field("Naam".into(), who),
            Block::Field("Referentie".into(), self.reference.to_string()),
            Block::Heading("Doorverwijzer".into()),
            Block::Field("Naam".into(), self.referrer.name.clone()),
            Block::Field(
                "Team".into(),
                format!("{}, {}", self.referrer.team, self.referrer.organisation),
            ),
            Block::Field(
                "Telefoon".into(),
                crate::contact::shown(&self.referrer.phone),
            ),
            Block::Field("E-mail".into(), self.referrer.email.clone()),
            Block::Heading("Wat te doen".into()),
            Block::Step(
                1,
                "Wis de gegevens van deze aanmelding (naam, adres, telefoon, e-mail) uit uw \
                 systemen en mailbox."
                    .into(),
            ),
            Block::Step(
                2,
                "Neem geen contact meer op met de cliënt op basis van deze aanmelding.".into(),
            ),
            Block::Small(
                "Kind en Gezin heeft de gegevens van de cliënt bij zich al gewist.".into(),
            ),
        ];
        Ok(document::render(
            &format!("Intrekking {}", self.reference),
            "nl-BE",
            &blocks,
        )?)
    }
}

impl Notice {
    /// A notice for `reference`, made `now`, for the partner in `agreement`.
    pub(crate) fn new(
        reference: Reference,
        recipient: &Recipient,
        agreement: &Agreement,
        client_name: Option<String>,
        withdrawn_on: NaiveDate,
        referrer: Referrer,
        now: DateTime<FixedOffset>,
    ) -> Self {
        Self {
            schema: SCHEMA,
            schema_version: SCHEMA_VERSION,
            kind: PackageKind::Withdrawal,
            reference,
            created_at: now,
            recipient: RecipientBlock {
                name: agreement.name.clone(),
                kbo: agreement.kbo.clone(),
                municipality_code: match recipient {
                    Recipient::Ocmw(code) => Some(code.clone()),
                    Recipient::CawBrussel => None,
                },
            },
            client_name,
            withdrawn_on,
            referrer,
        }
    }
}
