//! The encrypted referral package: what the OCMW's social worker opens with 7-Zip.
//!
//! A package holds `aanmelding.pdf` (one page for a person) and `aanmelding.json` (the same data
//! for the OCMW's client system), both made in memory from one [`Contents`], sealed by
//! [`archive::seal`] under a password that travels by phone or SMS. It can only be made from a
//! [`ReadyReferral`] (consent recorded) with an [`ActiveProtocol`] for the same recipient. No file
//! name says anything about the client, and nothing is written to disk unless the worker saves it.

pub mod archive;
pub mod document;
pub mod password;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use zeroize::Zeroizing;

use crate::agreement::{ActiveProtocol, Agreement, AgreementError, Delivery};
use crate::consent::{Language, POINT_KEYS};
use crate::error::Coded;
use crate::files::{self, Export, SaveError};
use crate::ledger::{self, EventKind};
use crate::outbox::OutboxError;
// The kinds live with the stored packages, which the outbox reads too.
use crate::outbox::ItemState;
use crate::referral::{
    self, ClientData, ReadyReferral, Reference, Referral, ReferralError, Status,
};
use crate::residence::{Gazetteer, Recipient};
use crate::retention::RetentionError;
use crate::sealed;
pub use crate::sealed::PackageKind;
use crate::store::{Store, StoreError};
use crate::worker::{WorkerError, WorkerProfile};

use archive::ArchiveError;
use document::{Block, DocumentError};
use password::Password;

/// Identifies the JSON format for the OCMW's import.
pub const SCHEMA: &str = "be.kindengezin.aanmelder.aanmelding";
/// Bumped on any change an importer would notice.
pub const SCHEMA_VERSION: u32 = 1;
/// The inner file names: neutral, the same for every package.
pub const PDF_NAME: &str = "aanmelding.pdf";
pub const JSON_NAME: &str = "aanmelding.json";

const LEGAL_BASIS: &str =
    "Decreet van 30 april 2004 tot oprichting van het agentschap Opgroeien regie, art. 10/1";
const ORGANISATION: &str = "Opgroeien regie – Kind en Gezin";

/// The referring worker, complete: the OCMW calls or mails them about the referral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Referrer {
    pub name: String,
    pub team: String,
    pub organisation: &'static str,
    pub phone: String,
    pub email: String,
}

impl Referrer {
    pub fn from_profile(profile: WorkerProfile) -> Result<Self, WorkerError> {
        profile.require_complete()?;
        Ok(Self {
            name: profile.name,
            team: profile.team,
            organisation: ORGANISATION,
            phone: profile.phone,
            email: profile.email,
        })
    }
}

/// The partner as the package names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecipientBlock {
    pub name: String,
    pub kbo: String,
    pub municipality_code: Option<String>,
}

/// What the consent record proves, as the package states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentBlock {
    pub given_at: DateTime<FixedOffset>,
    pub points_explained: [&'static str; 5],
    pub text_version: String,
    pub language: Language,
    pub text_sha256: String,
}

/// Everything a package says. The JSON is this, serialised; the PDF is this, laid out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contents {
    pub schema: &'static str,
    pub schema_version: u32,
    /// `referral`, or `correction` when these data replace those sent before.
    pub kind: PackageKind,
    pub reference: Reference,
    pub created_at: DateTime<FixedOffset>,
    pub legal_basis: &'static str,
    pub recipient: RecipientBlock,
    pub client: ClientData,
    pub consent: ConsentBlock,
    pub referrer: Referrer,
}

impl Contents {
    /// Puts a package of `kind` together (a correction carries the corrected data under the
    /// same reference). The protocol must be for the referral's own recipient.
    pub fn compose(
        kind: PackageKind,
        ready: &ReadyReferral,
        protocol: &ActiveProtocol,
        agreement: &Agreement,
        referrer: Referrer,
        now: DateTime<FixedOffset>,
    ) -> Result<Self, PackageError> {
        if protocol.recipient() != &ready.recipient || agreement.recipient != ready.recipient {
            return Err(PackageError::RecipientMismatch);
        }
        Ok(Self {
            schema: SCHEMA,
            schema_version: SCHEMA_VERSION,
            kind,
            reference: ready.reference.clone(),
            created_at: now,
            legal_basis: LEGAL_BASIS,
            recipient: RecipientBlock {
                name: ready.recipient_name.clone(),
                kbo: agreement.kbo.clone(),
                municipality_code: match &ready.recipient {
                    Recipient::Ocmw(code) => Some(code.clone()),
                    Recipient::CawBrussel => None,
                },
            },
            client: ready.client.clone(),
            consent: ConsentBlock {
                given_at: ready.consent.given_at,
                points_explained: POINT_KEYS,
                text_version: ready.consent.text_version.clone(),
                language: ready.consent.language,
                text_sha256: ready.consent.text_sha256.clone(),
            },
            referrer,
        })
    }

    pub fn json(&self) -> Result<Zeroizing<Vec<u8>>, PackageError> {
        pretty_json(self)
    }

    /// The one-page sheet for the OCMW's social worker, in Dutch.
    pub fn pdf(&self) -> Result<Zeroizing<Vec<u8>>, PackageError> {
        let c = &self.client;
        let r = &self.referrer;
        let none = "(niet opgegeven)".to_owned();
        let language = match self.consent.language {
            Language::Nl => "Nederlands",
            Language::Fr => "Frans",
            Language::En => "Engels",
        };
        let title = match self.kind {
            PackageKind::Correction => {
                format!("Correctie van een aanmelding bij {}", self.recipient.name)
            }
            _ => format!("Aanmelding bij {}", self.recipient.name),
        };
        let mut blocks = vec![
            Block::Title(title),
            Block::Subtitle(format!(
                "Referentie {} · {}",
                self.reference,
                date_time(self.created_at)
            )),
        ];
        if self.kind == PackageKind::Correction {
            blocks.push(Block::Notice(format!(
                "Deze gegevens vervangen de gegevens die u eerder kreeg onder referentie {}. \
                 Pas ze aan in uw dossier en wis de oude.",
                self.reference
            )));
        }
        blocks.extend([
            Block::Notice(format!(
                "Vertrouwelijk. Alleen voor de maatschappelijk werkers van {}, gebonden aan het \
                 beroepsgeheim (art. 458 Strafwetboek). Doorgegeven met de uitdrukkelijke \
                 toestemming van de cliënt, op basis van het protocol met Kind en Gezin.",
                self.recipient.name
            )),
            Block::Heading("Cliënt".into()),
            Block::Field("Naam".into(), c.full_name()),
            Block::Field("Adres".into(), c.address.to_string()),
            Block::Field(
                "Telefoon".into(),
                c.phone
                    .as_deref()
                    .map_or(none.clone(), crate::contact::shown),
            ),
            Block::Field("E-mail".into(), c.email.clone().unwrap_or(none)),
            Block::Heading("Toestemming".into()),
            Block::Paragraph(format!(
                "De cliënt gaf op {} vrij en uitdrukkelijk toestemming, nadat de vijf punten \
                 waren uitgelegd: het doel, welke gegevens, aan wie, wat er daarna gebeurt en \
                 wat de cliënt mag verwachten (waaronder het recht om de toestemming in te \
                 trekken).",
                date_time(self.consent.given_at)
            )),
            Block::Field(
                "Tekstversie".into(),
                format!("{} ({language})", self.consent.text_version),
            ),
            Block::Field(
                "Controlegetal".into(),
                format!("SHA-256 {}", self.consent.text_sha256),
            ),
            Block::Heading("Doorverwijzer".into()),
            Block::Field("Naam".into(), r.name.clone()),
            Block::Field("Team".into(), format!("{}, {}", r.team, r.organisation)),
            Block::Field("Telefoon".into(), crate::contact::shown(&r.phone)),
            Block::Field("E-mail".into(), r.email.clone()),
            Block::Heading("Wat te doen".into()),
            Block::Step(
                1,
                "Neem contact op met de cliënt, verduidelijk de hulpvraag en start hulp als de \
                 cliënt dat wil."
                    .into(),
            ),
            Block::Step(
                2,
                "Wil de cliënt geen hulp, of trekt de cliënt de toestemming in: wis deze gegevens."
                    .into(),
            ),
            Block::Step(
                3,
                format!(
                    "Kloppen de gegevens niet? Bel de doorverwijzer ({}) en noem de referentie {}.",
                    crate::contact::shown(&r.phone),
                    self.reference
                ),
            ),
            Block::Step(
                4,
                "Betrek andere partners alleen als dat nodig is en de cliënt het wil.".into(),
            ),
            Block::Small(format!("Wettelijke basis: {}.", self.legal_basis)),
        ]);
        Ok(document::render(
            &format!("Aanmelding {}", self.reference),
            "nl-BE",
            &blocks,
        )?)
    }
}

/// `22/11/2026 om 10:15 (UTC+01:00)`: Belgian date order, with the offset the time was taken in.
fn date_time(at: DateTime<FixedOffset>) -> String {
    format!(
        "{} (UTC{})",
        at.format("%d/%m/%Y om %H:%M"),
        at.format("%:z")
    )
}

/// How the worker passed the password on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Channel {
    Phone,
    Sms,
}

impl Channel {
    fn as_str(self) -> &'static str {
        match self {
            Self::Phone => "phone",
            Self::Sms => "sms",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "phone" => Some(Self::Phone),
            "sms" => Some(Self::Sms),
            _ => None,
        }
    }
}

/// The referral package of a referral, as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PackageState {
    pub built_at: String,
    pub password_passed_at: Option<String>,
    /// When the partner's mail server took it, or the worker confirmed sending it.
    pub sent_at: Option<String>,
    /// Where it stands in the outbox.
    pub state: ItemState,
    /// When the partner confirmed its receipt.
    pub received_at: Option<String>,
    /// The last attempt to send it failed (the outbox says why).
    pub failed: bool,
}

/// Where a referral stands, as one status: the list shows this and nothing else, so a row
/// cannot say "ready to send" and "sent" at once. Once there is a package, its outbox item
/// decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Stage {
    /// The five points and the client's answer are still to come.
    Draft,
    /// An unfinished draft whose data were wiped.
    DraftWiped,
    Refused,
    Withdrawn,
    /// Consent without a package (its making failed).
    Consented,
    /// The package waits for the team's mail server.
    Queued,
    /// The package waits for the worker's own mail program.
    ForMailProgram,
    Sending,
    Failed,
    Attention,
    MaybeSent,
    Drafted,
    /// Sent: the team's mail server took it; the partner's receipt is awaited.
    Sent,
    /// The partner confirmed its receipt.
    Received,
    Cancelled,
}

impl Stage {
    /// `package`: its outbox state, how it goes, whether the partner confirmed it, and whether
    /// the last attempt to send it failed.
    fn of(referral: &Referral, package: Option<(ItemState, Delivery, bool, bool)>) -> Self {
        match (referral.status, package) {
            _ if referral.withdrawn_on.is_some() => Self::Withdrawn,
            (Status::Draft, _) if referral.purged_at.is_some() => Self::DraftWiped,
            (Status::Draft, _) => Self::Draft,
            (Status::Refused, _) => Self::Refused,
            (Status::Ready, None) => Self::Consented,
            (Status::Ready, Some((ItemState::Sent, _, true, _))) => Self::Received,
            (Status::Ready, Some((state, delivery, _, failed))) => match state {
                ItemState::Queued if delivery == Delivery::MailProgram => Self::ForMailProgram,
                // Not reached (no network, a connection that broke): waiting again, but not
                // "ready" as if nothing happened.
                ItemState::Queued if failed => Self::Failed,
                ItemState::Queued => Self::Queued,
                ItemState::Sending => Self::Sending,
                ItemState::Sent => Self::Sent,
                ItemState::Failed => Self::Failed,
                ItemState::Attention => Self::Attention,
                ItemState::MaybeSent => Self::MaybeSent,
                ItemState::Drafted => Self::Drafted,
                ItemState::Cancelled => Self::Cancelled,
            },
        }
    }

    /// The row's status, as the worker reads it.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Draft => "Niet afgerond: vijf punten nog uitleggen",
            Self::DraftWiped => "Niet afgerond, gewist",
            Self::Refused => "Geweigerd",
            Self::Withdrawn => "Toestemming ingetrokken",
            Self::Consented => "Toestemming gegeven, pakket nog niet gemaakt",
            Self::Queued => "Klaar om te verzenden",
            Self::ForMailProgram => "Klaar voor je mailprogramma: maak het concept bij Verzenden",
            Self::Sending => "Wordt verzonden",
            Self::Failed => "Verzenden mislukt, nieuwe poging volgt",
            Self::Attention => "Aandacht nodig: zie Verzenden",
            Self::MaybeSent => "Mogelijk al verzonden: vraag het na bij de partner",
            Self::Drafted => "Concept gemaakt: verstuur het met je mailprogramma",
            Self::Sent => "Verzonden · wacht op bevestiging",
            Self::Received => "Ontvangen door de partner",
            Self::Cancelled => "Geannuleerd, niet verzonden",
        }
    }
}

/// A referral as the list shows it: with one status, where its package stands, how many
/// corrections followed it, and what the worker may still do with it. Each of those answers
/// comes from the module that owns the rule, so the screen decides none of them again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ListedReferral {
    #[serde(flatten)]
    pub referral: Referral,
    pub stage: Stage,
    /// [`Stage::label`].
    pub stage_label: String,
    /// Where the encrypted package stands, once there is one.
    pub package: Option<PackageState>,
    /// How many corrections were made.
    pub corrections: u32,
    /// A correction can follow: the data are kept and the package may be with the partner.
    pub can_correct: bool,
    /// "Verwijderen" wipes it now ([`crate::retention::discard`] would take it).
    pub can_discard: bool,
    /// A withdrawal now must tell the partner: something of this referral may be with it or is
    /// being sent.
    pub withdrawal_tells_partner: bool,
    /// The latest package still has its password, so the package screen has something to show
    /// (after a purge or a cancellation both are destroyed).
    pub can_open_package: bool,
}

/// A stored package as the package screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PackageView {
    pub kind: PackageKind,
    pub reference: Reference,
    pub file_name: String,
    pub recipient_name: String,
    /// The number to call (or text) with the password, as a person dials it (`014 54 75 75`).
    pub password_phone: String,
    pub password: String,
    pub built_at: String,
    pub password_passed_at: Option<String>,
    pub password_channel: Option<Channel>,
    /// The archive's size; `None` once it was deleted (after delivery) or destroyed.
    #[ts(type = "number | null")]
    pub size_bytes: Option<i64>,
    /// Where this package stands in the outbox.
    pub state: ItemState,
    pub sent_at: Option<String>,
    /// When the partner confirmed its receipt: then the archive and password are destroyed.
    pub received_at: Option<String>,
    /// Why its archive may not be saved in a folder now, in the worker's words; `None` when it
    /// may (see [`crate::outbox::may_hand_out`]) or when there is no archive left to save.
    pub copy_refused: Option<String>,
}

/// The packages in the store.
#[derive(Debug, Clone, Copy)]
pub struct Packages<'a> {
    store: &'a Store,
    gazetteer: &'a Gazetteer,
}

impl<'a> Packages<'a> {
    pub fn new(store: &'a Store, gazetteer: &'a Gazetteer) -> Self {
        Self { store, gazetteer }
    }

    /// Every referral, newest first, with its package's state.
    pub fn referrals(&self) -> Result<Vec<ListedReferral>, PackageError> {
        let discardable = crate::retention::discardable(self.store)?;
        Referral::list(self.store, self.gazetteer)?
            .into_iter()
            .map(|referral| {
                let can_discard = discardable.contains(&referral.id);
                self.listed(referral, can_discard)
            })
            .collect()
    }

    fn listed(
        &self,
        referral: Referral,
        can_discard: bool,
    ) -> Result<ListedReferral, PackageError> {
        let conn = self.store.conn();
        let package = match sealed::referral_package(conn, referral.id)? {
            Some((id, built_at, password_passed_at)) => {
                let item = crate::outbox::item_of_package(self.store, id)?;
                Some(PackageState {
                    built_at,
                    password_passed_at,
                    sent_at: item.sent_at,
                    state: item.state,
                    received_at: item.received_at,
                    failed: item.problem.is_some(),
                })
            }
            None => None,
        };
        let delivery = crate::outbox::delivery_of(self.store, referral.id)?;
        let stage = Stage::of(
            &referral,
            package
                .as_ref()
                .map(|p| (p.state, delivery, p.received_at.is_some(), p.failed)),
        );
        let left = crate::outbox::referral_package_left(self.store, referral.id)?;
        let reached = crate::outbox::reached(self.store, referral.id)?;
        let can_open_package = sealed::latest(conn, referral.id)?
            .is_some_and(|latest| !latest.password.password.is_empty());
        Ok(ListedReferral {
            can_open_package,
            corrections: sealed::corrections(conn, referral.id)?,
            can_correct: referral.client.is_some() && referral.withdrawn_on.is_none() && left,
            can_discard,
            withdrawal_tells_partner: reached,
            stage,
            stage_label: stage.label().to_owned(),
            referral,
            package,
        })
    }

    /// Builds and stores the package of a referral with consent, once; later calls return it.
    pub fn build(
        &self,
        reference: &Reference,
        now: DateTime<FixedOffset>,
    ) -> Result<PackageView, PackageError> {
        if let Some(view) = self.view(reference, now)? {
            return Ok(view);
        }
        let (ready, contents) = self.contents(reference, now)?;
        let password = fresh_password()?;
        let pdf = contents.pdf()?;
        let json = contents.json()?;
        let tx = self.store.transaction()?;
        store_sealed(
            self.store,
            &Sealing {
                referral_id: ready.id,
                recipient: &ready.recipient,
                reference,
                kind: PackageKind::Referral,
                files: &[(PDF_NAME, &pdf), (JSON_NAME, &json)],
                password: &password,
            },
            now,
        )?;
        tx.commit()?;
        self.view(reference, now)?.ok_or(PackageError::NotBuilt)
    }

    /// What the referral's package holds when put together at `now`: refused unless the
    /// protocol with its partner is in force then.
    pub fn contents(
        &self,
        reference: &Reference,
        now: DateTime<FixedOffset>,
    ) -> Result<(ReadyReferral, Contents), PackageError> {
        let ready = Referral::ready(self.store, self.gazetteer, reference)?;
        let (agreement, referrer) = parties(self.store, ready.id)?;
        let protocol = agreement.in_force_on(now.date_naive())?;
        let kind = PackageKind::Referral;
        let contents = Contents::compose(kind, &ready, &protocol, &agreement, referrer, now)?;
        Ok((ready, contents))
    }

    /// The referral's latest package (the referral itself, a correction or a withdrawal notice):
    /// the one whose password the worker has to pass on now.
    pub fn view(
        &self,
        reference: &Reference,
        now: DateTime<FixedOffset>,
    ) -> Result<Option<PackageView>, PackageError> {
        let Some((id, recipient)) = referral::id_and_recipient(self.store.conn(), reference)?
        else {
            return Ok(None);
        };
        let Some(latest) = sealed::latest(self.store.conn(), id)? else {
            return Ok(None);
        };
        let recipient = Recipient::from_key(&recipient).ok_or(PackageError::NotBuilt)?;
        let partner = match crate::referral::partner(self.store, id) {
            Ok(a) => Some(a),
            Err(AgreementError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        let password_phone = partner
            .as_ref()
            .map(|a| crate::contact::shown(&a.password_phone))
            .unwrap_or_default();
        let item = crate::outbox::item_of_package(self.store, latest.id)?;
        let copy_refused = match latest.size {
            None => None,
            Some(_) => match crate::outbox::may_hand_out(self.store, latest.id, now) {
                Ok(()) => None,
                Err(crate::outbox::OutboxError::Store(e)) => return Err(e.into()),
                Err(why) => Some(why.to_string()),
            },
        };
        Ok(Some(PackageView {
            kind: latest.kind,
            reference: reference.clone(),
            file_name: latest.file_name,
            recipient_name: match (&recipient, partner) {
                (Recipient::CawBrussel, Some(a)) => a.name,
                _ => self.gazetteer.recipient_name(&recipient),
            },
            password_phone,
            password: latest.password.password,
            built_at: latest.built_at,
            password_passed_at: latest.password.at,
            password_channel: latest.password.channel.as_deref().and_then(Channel::parse),
            size_bytes: latest.size,
            state: item.state,
            sent_at: item.sent_at,
            received_at: item.received_at,
            copy_refused,
        }))
    }

    /// Records that the worker passed the password on, and how.
    pub fn password_passed(
        &self,
        reference: &Reference,
        channel: Channel,
        now: DateTime<FixedOffset>,
    ) -> Result<PackageView, PackageError> {
        let tx = self.store.transaction()?;
        let (id, recipient) =
            referral::id_and_recipient(&tx, reference)?.ok_or(PackageError::NotBuilt)?;
        let package = sealed::password_passed(&tx, id, channel.as_str(), now)?
            .ok_or(PackageError::NotBuilt)?;
        crate::outbox::password_passed(self.store, package, now)?;
        ledger::record(
            self.store,
            EventKind::PasswordPassed,
            now,
            &recipient,
            Some(reference.as_str()),
        )?;
        tx.commit()?;
        crate::outbox::delete_copies_no_longer_needed(self.store, now);
        self.view(reference, now)?.ok_or(PackageError::NotBuilt)
    }

    /// The sealed archive as stored, for checks of what the store holds. A copy for the worker
    /// goes through [`Self::save_copy`], which holds it to a send's rules.
    pub fn archive(&self, reference: &Reference) -> Result<Export, PackageError> {
        Ok(self.latest_archive(reference)?.1)
    }

    /// The latest package's id and its sealed archive.
    fn latest_archive(&self, reference: &Reference) -> Result<(i64, Export), PackageError> {
        let (id, _) = referral::id_and_recipient(self.store.conn(), reference)?
            .ok_or(PackageError::NotBuilt)?;
        match sealed::latest_archive(self.store.conn(), id)? {
            Some((
                package,
                sealed::StoredFile {
                    file_name,
                    archive: Some(bytes),
                },
            )) => Ok((
                package,
                Export {
                    file_name,
                    bytes: bytes.into(),
                },
            )),
            Some(_) => Err(PackageError::AlreadyDeleted),
            None => Err(PackageError::NotBuilt),
        }
    }

    /// Saves a copy of the sealed archive or of the client's receipt into `folder`, remembered
    /// for the purge; the archive's copy also for its package, which takes it along when the
    /// partner confirmed it or it was taken out of the outbox. The archive only while it may go
    /// ([`crate::outbox::may_hand_out`]): the worker may mail the copy by hand.
    pub fn save_copy(
        &self,
        reference: &Reference,
        copy: SavedCopy,
        folder: &std::path::Path,
        now: DateTime<FixedOffset>,
    ) -> Result<std::path::PathBuf, PackageError> {
        let (package, export) = match copy {
            SavedCopy::Archive => {
                let (package, export) = self.latest_archive(reference)?;
                crate::outbox::may_hand_out(self.store, package, now)?;
                (Some(package), export)
            }
            SavedCopy::Receipt => (None, self.receipt(reference)?),
        };
        let at = files::save_for_referral(
            self.store,
            reference.as_str(),
            package,
            folder,
            &export,
            now,
        )?;
        Ok(at)
    }

    /// The client's receipt, in the language the five points were shown in.
    pub fn receipt(&self, reference: &Reference) -> Result<Export, PackageError> {
        let ready = Referral::ready(self.store, self.gazetteer, reference)?;
        let (agreement, referrer) = parties(self.store, ready.id)?;
        let bytes = receipt::render(&ready, &agreement, &referrer)?;
        Ok(Export {
            file_name: format!("ontvangstbewijs-{reference}.pdf"),
            bytes,
        })
    }
}

/// The two parties every paper of a referral names: the partner it goes to (from the register,
/// whether or not its protocol is still in force: the caller decides whether that matters) and
/// the worker who refers, whose settings must be complete.
pub fn parties(store: &Store, referral_id: i64) -> Result<(Agreement, Referrer), PackageError> {
    let agreement = crate::referral::partner(store, referral_id)?;
    let referrer = Referrer::from_profile(WorkerProfile::load(store)?)?;
    Ok((agreement, referrer))
}

/// `value` as indented JSON with a final line break, as the package's files are written.
fn pretty_json(value: &impl Serialize) -> Result<Zeroizing<Vec<u8>>, PackageError> {
    let mut bytes = Zeroizing::new(
        serde_json::to_vec_pretty(value).map_err(|e| PackageError::Json(e.to_string()))?,
    );
    bytes.push(b'\n');
    Ok(bytes)
}

/// What the worker can save a copy of, outside the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SavedCopy {
    /// The sealed 7z, for a worker who mails it by hand.
    Archive,
    /// The client's receipt (PDF).
    Receipt,
}

pub mod notice;
mod receipt;

/// `aanmelding-<reference>.7z`: the only name a referral's archive ever has.
pub fn archive_name(reference: &Reference) -> String {
    PackageKind::Referral.archive_name(reference)
}

/// A fresh password for every package (80 bits, read aloud by phone), never one agreed once
/// with a partner: a password that stays the same opens every package it ever protected, and
/// the Turnhout protocol (seed 004) expects files and keys destroyed after each receipt.
pub(crate) fn fresh_password() -> Result<Password, PackageError> {
    Ok(Password::generate().map_err(|e| ArchiveError::Random(e.to_string()))?)
}

/// What goes into one sealed package.
pub(crate) struct Sealing<'a> {
    pub referral_id: i64,
    pub recipient: &'a Recipient,
    pub reference: &'a Reference,
    pub kind: PackageKind,
    pub files: &'a [(&'a str, &'a [u8])],
    pub password: &'a Password,
}

/// Seals the files, stores the package and puts it in the outbox, inside the caller's
/// transaction: a package is never stored without being on its way.
pub(crate) fn store_sealed(
    store: &Store,
    sealing: &Sealing<'_>,
    now: DateTime<FixedOffset>,
) -> Result<(), PackageError> {
    let bytes = archive::seal(sealing.files, sealing.password)?;
    let conn = store.conn();
    let package_id = sealed::insert(
        conn,
        &sealed::NewPackage {
            referral_id: sealing.referral_id,
            kind: sealing.kind,
            file_name: &sealing.kind.archive_name(sealing.reference),
            archive: &bytes,
            password: sealing.password.expose(),
        },
        now,
    )?;
    crate::outbox::enqueue(
        conn,
        sealing.referral_id,
        package_id,
        sealing.reference.as_str(),
        now,
    )?;
    ledger::record_referral(
        store,
        EventKind::Packaged,
        now,
        sealing.recipient,
        sealing.reference,
    )?;
    Ok(())
}

/// Why a package could not be made, shown or saved.
#[derive(Debug, thiserror::Error, Coded)]
#[coded(prefix = "package")]
pub enum PackageError {
    #[error("Er is nog geen pakket voor deze aanmelding.")]
    NotBuilt,
    #[error(
        "Het pakket is al verwijderd nadat het verzenden bevestigd werd; het kan niet meer \
         opgeslagen worden."
    )]
    AlreadyDeleted,
    #[error("Het protocol geldt niet voor de ontvanger van deze aanmelding.")]
    RecipientMismatch,
    #[error("De gegevens konden niet als JSON geschreven worden: {0}")]
    Json(String),
    #[error(transparent)]
    #[coded(code = "package.document")]
    Document(#[from] DocumentError),
    #[error(transparent)]
    #[coded(code = "package.archive")]
    Archive(#[from] ArchiveError),
    #[error(transparent)]
    Referral(#[from] ReferralError),
    #[error(transparent)]
    Agreement(#[from] AgreementError),
    #[error(transparent)]
    Worker(#[from] WorkerError),
    #[error(transparent)]
    Retention(#[from] RetentionError),
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    #[error(transparent)]
    Save(#[from] SaveError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests;
