//! The outbox: every package waits here until its OCMW's mailbox has it.
//!
//! Workers record referrals offline and sync later, so the outbox is a durable state machine in
//! the encrypted store: queued → sending → sent; or failed (the server said "later": retried
//! with exponential back-off), or needs attention (the server said "never", e.g. 550 mailbox
//! unknown). Each step is committed before the next begins, so a crash at any moment loses
//! nothing: an item caught between the server's acceptance and our commit is found in `sending`
//! at the next start and shown as "mogelijk al verzonden", to be resent only when the worker says
//! so. So is a mail that went out whole while the server's answer never came (the line broke, or
//! the server fell silent): the server may have taken it. One bad item never blocks the others.
//!
//! "Sent" means the team's mail server took the mail, not that the OCMW has it: the archive stays
//! in the store until the OCMW confirms its receipt (the worker ticks it, or the worker's mailbox
//! holds a read receipt or a reply, see [`receipts`]), or until the retention period ends. A
//! bounce puts the item back in "needs attention" with the server's reason, and "send again"
//! sends the kept archive. After the receipt the archive and its password are destroyed (004).

pub mod mail;
pub mod oauth;
pub mod receipts;
pub mod settings;
pub mod smtp;

use chrono::{DateTime, Datelike as _, Duration, FixedOffset, NaiveDate, Weekday};
use lettre::Address;
use rusqlite::{Connection, OptionalExtension as _};
use serde::Serialize;
use ts_rs::TS;

use crate::agreement::{AgreementError, Delivery};
use crate::error::Coded;
use crate::files::{self, Export};
use crate::ledger::{self, EventKind};
use crate::referral;
use crate::residence::{Gazetteer, Recipient};
use crate::sealed;
use crate::store::{Store, StoreError};
use crate::worker::{WorkerError, WorkerProfile};

use mail::{Letter, MailError, OutgoingMail};
use smtp::{Problem, ProblemKind};

// The kinds of package it sends are stored with the packages.
pub use crate::sealed::PackageKind;

/// Longest wait between two attempts.
const MAX_BACKOFF_MINUTES: i64 = 6 * 60;

/// Where one item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ItemState {
    Queued,
    Sending,
    Sent,
    /// The server refused for now; retried after `next_attempt_at`.
    Failed,
    /// The server refused for good; the worker must look (wrong mailbox?).
    Attention,
    /// Interrupted between sending and recording, or sent whole without the server's answer:
    /// resent only after the worker confirms, or confirmed by a receipt in the mailbox.
    MaybeSent,
    /// Written as a draft for the worker's mail program; waits for "verzonden".
    Drafted,
    /// Taken out before it went: the client withdrew consent.
    Cancelled,
}

impl ItemState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Attention => "attention",
            Self::MaybeSent => "maybe_sent",
            Self::Drafted => "drafted",
            Self::Cancelled => "cancelled",
        }
    }

    const ALL: [Self; 8] = [
        Self::Queued,
        Self::Sending,
        Self::Sent,
        Self::Failed,
        Self::Attention,
        Self::MaybeSent,
        Self::Drafted,
        Self::Cancelled,
    ];

    fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether the package may be with the partner: our server took it, it may have before a
    /// crash, or it was written as a draft the worker's mail program may have sent. The one
    /// answer to "has it left?", for a correction, an incident and the outbox screen.
    pub fn may_have_left(self) -> bool {
        matches!(self, Self::Sent | Self::MaybeSent | Self::Drafted)
    }

    /// Whether the partner may have the package or is being handed it right now: then a
    /// withdrawal must be told to the partner, not only recorded here.
    fn may_be_there(self) -> bool {
        self.may_have_left() || self == Self::Sending
    }

    /// Whether a receipt or a bounce in the worker's mailbox can settle the item: sent, or maybe
    /// sent (the server's answer never came), and not confirmed yet (`received_at` says that).
    fn awaits_receipt(self) -> bool {
        matches!(self, Self::Sent | Self::MaybeSent)
    }

    /// Whether the item is on its way right now: waiting for the next sync, or being sent.
    fn in_flight(self) -> bool {
        matches!(self, Self::Queued | Self::Sending)
    }

    /// Whether the item still has something to do: on its way, failing, refused, or unsure. A
    /// referral with no such item is settled, and its retention can run.
    fn unsettled(self) -> bool {
        !matches!(self, Self::Sent | Self::Cancelled)
    }

    /// Whether the item has certainly not left and is not being sent: waiting, failed or refused.
    /// Only such an item can still be taken out of the outbox.
    fn never_left(self) -> bool {
        matches!(self, Self::Queued | Self::Failed | Self::Attention)
    }

    /// Unsettled but not on its way: nothing more happens unless the worker or the server acts.
    fn stuck(self) -> bool {
        self.unsettled() && !self.in_flight()
    }

    /// Stuck, and certainly not with the partner: failed or refused.
    fn stuck_unsent(self) -> bool {
        self.stuck() && !self.may_have_left()
    }

    /// Stuck, but perhaps with the partner: maybe sent, or a draft never confirmed.
    fn stuck_maybe_there(self) -> bool {
        self.stuck() && self.may_have_left()
    }

    /// The states for which `rule` holds, as an SQL list for this module's queries, so each
    /// rule is written once, in Rust.
    fn sql_list(rule: fn(Self) -> bool) -> String {
        let states: Vec<Self> = Self::ALL.into_iter().filter(|&s| rule(s)).collect();
        Self::sql_of(&states)
    }

    /// `states` as an SQL list: `('queued', 'sending')`.
    fn sql_of(states: &[Self]) -> String {
        let quoted: Vec<String> = states.iter().map(|s| format!("'{}'", s.as_str())).collect();
        format!("({})", quoted.join(", "))
    }
}

/// One outbox item as other modules need it: whose package it is, where it stands, and when
/// it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFacts {
    pub referral_id: i64,
    pub package_id: i64,
    pub state: ItemState,
    pub sent_at: Option<String>,
    /// When the partner's receipt was confirmed.
    pub received_at: Option<String>,
    /// What went wrong at the last attempt, if it failed.
    pub problem: Option<ProblemKind>,
}

/// The outbox item `id`, if there is one.
pub fn item(store: &Store, id: i64) -> Result<Option<ItemFacts>, StoreError> {
    type Row = (
        i64,
        i64,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let row: Option<Row> = store
        .conn()
        .query_row(
            "SELECT referral_id, package_id, state, sent_at, received_at, error_kind
             FROM outbox WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )
        .optional()?;
    row.map(
        |(referral_id, package_id, state, sent_at, received_at, problem)| {
            Ok(ItemFacts {
                referral_id,
                package_id,
                state: ItemState::parse(&state)
                    .ok_or_else(|| StoreError::Sqlite("onleesbare verzendstatus".into()))?,
                sent_at,
                received_at,
                problem: problem.as_deref().and_then(ProblemKind::parse),
            })
        },
    )
    .transpose()
}

/// The outbox item of the package `package_id`: every package is queued the moment it is made.
pub(crate) fn item_of_package(store: &Store, package_id: i64) -> Result<ItemFacts, StoreError> {
    let id: i64 = store.conn().query_row(
        "SELECT id FROM outbox WHERE package_id = ?1",
        [package_id],
        |r| r.get(0),
    )?;
    item(store, id)?.ok_or_else(|| StoreError::Sqlite("pakket zonder verzenditem".into()))
}

/// Whether a withdrawal of the referral `referral_id` must be told to its partner (see
/// [`ItemState::may_be_there`]).
pub(crate) fn reached(store: &Store, referral_id: i64) -> Result<bool, StoreError> {
    let sql = format!(
        "SELECT count(*) > 0 FROM outbox WHERE referral_id = ?1 AND state IN {}",
        ItemState::sql_list(ItemState::may_be_there)
    );
    Ok(store.conn().query_row(&sql, [referral_id], |r| r.get(0))?)
}

/// The packages of the referral `referral_id` whose items still have something to do.
pub(crate) fn unsettled_packages(store: &Store, referral_id: i64) -> Result<Vec<i64>, StoreError> {
    of_referral(store, referral_id, Of::Packages, ItemState::unsettled)
}

/// Which ids [`of_referral`] lists.
enum Of {
    Items,
    Packages,
}

/// The items, or their packages, of the referral `referral_id` in the states for which `rule`
/// holds.
fn of_referral(
    store: &Store,
    referral_id: i64,
    of: Of,
    rule: fn(ItemState) -> bool,
) -> Result<Vec<i64>, StoreError> {
    let column = match of {
        Of::Items => "id",
        Of::Packages => "package_id",
    };
    let sql = format!(
        "SELECT {column} FROM outbox WHERE referral_id = ?1 AND state IN {}",
        ItemState::sql_list(rule)
    );
    Ok(store
        .conn()
        .prepare(&sql)?
        .query_map([referral_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

/// For each settled referral whose referral package was sent: when its client's data last went
/// out, in the referral package or a correction after it. Its retention runs from then: the
/// OCMW may come back on corrected data as on the first, and a correction sent near the end of
/// the period would otherwise lose its archive (and the client's data) before its receipt.
pub(crate) fn sent_and_settled(store: &Store) -> Result<Vec<(i64, String)>, StoreError> {
    let sql = format!(
        "SELECT o.referral_id, o.sent_at, o.package_id FROM outbox o
         WHERE o.state = 'sent' AND o.sent_at IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM outbox w WHERE w.referral_id = o.referral_id
             AND w.state IN {})",
        ItemState::sql_list(ItemState::unsettled)
    );
    let rows: Vec<(i64, String, i64)> = store
        .conn()
        .prepare(&sql)?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut referral_sent = std::collections::BTreeSet::new();
    let mut last: std::collections::BTreeMap<i64, (DateTime<FixedOffset>, String)> =
        std::collections::BTreeMap::new();
    for (referral_id, sent_at, package_id) in rows {
        match sealed::kind_of(store.conn(), package_id)? {
            Some(PackageKind::Referral) => {
                referral_sent.insert(referral_id);
            }
            Some(PackageKind::Correction) => {}
            Some(PackageKind::Withdrawal) | None => continue,
        }
        // Times carry the offset they were taken in: the latest instant, not the latest text.
        let Ok(at) = DateTime::parse_from_rfc3339(&sent_at) else {
            continue;
        };
        if last
            .get(&referral_id)
            .is_none_or(|(latest, _)| at > *latest)
        {
            last.insert(referral_id, (at, sent_at));
        }
    }
    Ok(last
        .into_iter()
        .filter(|(id, _)| referral_sent.contains(id))
        .map(|(id, (_, sent_at))| (id, sent_at))
        .collect())
}

/// For each referral with an item stuck (failed, refused, unsure, or a draft never confirmed)
/// and none queued or being sent: when its first stuck item was queued.
pub(crate) fn stuck_since(store: &Store) -> Result<Vec<(i64, String)>, StoreError> {
    let sql = format!(
        "SELECT o.referral_id, o.queued_at, min(julianday(o.queued_at)) FROM outbox o
         WHERE o.state IN {}
           AND NOT EXISTS (SELECT 1 FROM outbox w WHERE w.referral_id = o.referral_id
             AND w.state IN {})
         GROUP BY o.referral_id",
        ItemState::sql_list(ItemState::stuck),
        ItemState::sql_list(ItemState::in_flight)
    );
    pairs(store, &sql)
}

/// For each referral with items: its last send, if anything was sent.
pub(crate) fn last_sends(store: &Store) -> Result<Vec<(i64, Option<String>)>, StoreError> {
    // Times carry the offset they were taken in, so the latest text is not always the latest
    // instant (an hour apart across the autumn clock change). SQLite reads a bare column from
    // the row that holds the max(): the latest instant's own text.
    pairs(
        store,
        "SELECT referral_id, sent_at, max(julianday(sent_at)) FROM outbox GROUP BY referral_id",
    )
}

/// The rows of a two-column query: a referral's id and what was asked of it.
fn pairs<T: rusqlite::types::FromSql>(
    store: &Store,
    sql: &str,
) -> Result<Vec<(i64, T)>, StoreError> {
    Ok(store
        .conn()
        .prepare(sql)?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

/// Whether the referral package of the referral `referral_id` may have left (see
/// [`ItemState::may_have_left`]): only then can a correction follow it.
pub fn referral_package_left(store: &Store, referral_id: i64) -> Result<bool, StoreError> {
    let Some((package_id, ..)) = sealed::referral_package(store.conn(), referral_id)? else {
        return Ok(false);
    };
    let sql = format!(
        "SELECT count(*) > 0 FROM outbox WHERE package_id = ?1 AND state IN {}",
        ItemState::sql_list(ItemState::may_have_left)
    );
    Ok(store.conn().query_row(&sql, [package_id], |r| r.get(0))?)
}

/// One item as the outbox screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct OutboxItem {
    #[ts(type = "number")]
    pub id: i64,
    pub kind: PackageKind,
    pub reference: String,
    /// The mail's Message-ID, the same on every attempt: support can find the mail by it.
    pub message_id: String,
    pub recipient_name: String,
    pub state: ItemState,
    /// [`ItemState::may_have_left`], so the screen does not decide it again.
    pub may_have_left: bool,
    /// The partner is reached through the worker's own mail program (a draft), not the team's
    /// mail server.
    pub by_mail_program: bool,
    pub attempts: u32,
    pub next_attempt_at: String,
    /// What went wrong last, in Dutch: what happened and what to do.
    pub last_error: Option<String>,
    /// Which kind of problem that was, for the screen to offer the right step.
    pub problem: Option<ProblemKind>,
    /// The server's own words, for IT.
    pub problem_detail: Option<String>,
    pub queued_at: String,
    pub sent_at: Option<String>,
    /// When the partner's receipt was confirmed; until then the archive is kept.
    pub received_at: Option<String>,
    /// The register entry of the partner, where its mailbox is set.
    #[ts(type = "number | null")]
    pub agreement_id: Option<i64>,
    /// Why this package is never sent again, if it is not: consent withdrawn, or corrected.
    pub never_again: Option<NeverAgain>,
    /// The store still holds the package's archive and password: until the partner's receipt,
    /// and after it until the worker passed the password on.
    pub archive_kept: bool,
    /// For a draft: the folder it was saved in, for the worker to open in the mail program.
    pub draft_folder: Option<String>,
}

/// What the home screen says about waiting items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct OutboxSummary {
    pub waiting: u32,
    pub oldest_queued_at: Option<String>,
    /// More than two working days since the oldest waiting item was queued.
    pub overdue: bool,
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SyncReport {
    pub sent: u32,
    pub failed: u32,
    pub attention: u32,
    /// Mails that went out whole without an answer from the server: maybe sent, never resent
    /// by themselves.
    pub unanswered: u32,
    /// Why the sync stopped before the end (the server cannot be reached, or refuses the
    /// sign-in): the items not tried wait for the next one. In Dutch.
    pub stopped: Option<String>,
    /// What kind of problem stopped it, for the screen to offer what helps (signing in again).
    pub stopped_by: Option<ProblemKind>,
}

impl SyncReport {
    /// Adds what an `earlier` sync did, as one report: the press of "Nu verzenden" that waited
    /// for the background sync reports both.
    pub fn add(&mut self, earlier: SyncReport) {
        self.sent += earlier.sent;
        self.failed += earlier.failed;
        self.attention += earlier.attention;
        self.unanswered += earlier.unanswered;
        if self.stopped.is_none() {
            self.stopped = earlier.stopped;
            self.stopped_by = earlier.stopped_by;
        }
    }
}

/// How a delivery attempt ended, as far as the server told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryError {
    /// A 4xx answer, or a sign-in the server refused: try again later.
    Transient(Problem),
    /// A 5xx answer: the server will never take this mail.
    Permanent(Problem),
    /// No answer at all (network down, connection dropped) before the whole mail went out:
    /// the server cannot have taken it.
    Interrupted(Problem),
    /// The whole mail went out and no answer came: the server may have taken it. Resent only
    /// when the worker says so.
    Unanswered(Problem),
    /// The item's claim did not go through (another copy of the app took it, it was withdrawn,
    /// its protocol ended, or the store failed), so no message was written. Not an outcome of
    /// the item: the sync records none.
    Withheld,
}

impl DeliveryError {
    /// What went wrong, for the worker and IT; none for a withheld mail, which nothing tried.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Self::Transient(p)
            | Self::Permanent(p)
            | Self::Interrupted(p)
            | Self::Unanswered(p) => Some(p),
            Self::Withheld => None,
        }
    }
}

/// A mail handed to the transport while its claim is being committed.
///
/// The transport may connect and send the envelope (MAIL, RCPT, DATA) at once, but it gets the
/// message only from [`Pending::claimed`], which waits until the claim is on disk. A server can
/// take a mail only at the message's final ".", so no mail can be taken before the store says it
/// is being sent: a crash in between leaves a claimed item ("maybe sent"), never a sent one
/// without a record. The claim's fsync and the envelope's round trips overlap instead of
/// following each other.
pub struct Pending<'a> {
    mail: &'a OutgoingMail,
    claim: std::sync::mpsc::Receiver<bool>,
}

impl std::fmt::Debug for Pending<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending").finish_non_exhaustive()
    }
}

impl<'a> Pending<'a> {
    pub fn from(&self) -> &Address {
        &self.mail.from
    }

    pub fn to(&self) -> &Address {
        &self.mail.to
    }

    /// Whether the message is plain ASCII, for the envelope's 8BITMIME option.
    pub fn is_ascii(&self) -> bool {
        self.mail.bytes.is_ascii()
    }

    /// The whole mail, once its claim is committed; [`DeliveryError::Withheld`] if it is not
    /// the sync's to send after all. Blocks until the store has answered.
    pub fn claimed(self) -> Result<&'a OutgoingMail, DeliveryError> {
        match self.claim.recv() {
            Ok(true) => Ok(self.mail),
            Ok(false) | Err(_) => Err(DeliveryError::Withheld),
        }
    }
}

/// Something that can hand a mail to the partner's mail server. It runs beside the sync's own
/// thread (see [`Pending`]), hence `Sync`.
pub trait Transport: Sync {
    fn deliver(&self, mail: Pending<'_>) -> Result<(), DeliveryError>;

    /// The sync is over: close what was kept open for the next mail.
    fn finish(&self) {}
}

/// Access to the store for the length of one short step. Sync releases the store between steps,
/// so the window stays usable while mail goes out.
pub trait StoreAccess {
    fn with<T>(&self, f: impl FnOnce(&Store) -> Result<T, OutboxError>) -> Result<T, OutboxError>;
}

impl StoreAccess for Store {
    fn with<T>(&self, f: impl FnOnce(&Store) -> Result<T, OutboxError>) -> Result<T, OutboxError> {
        f(self)
    }
}

/// Puts a freshly built package in the outbox, inside the caller's transaction.
pub(crate) fn enqueue(
    conn: &Connection,
    referral_id: i64,
    package_id: i64,
    reference: &str,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    let mut nonce = [0u8; 6];
    getrandom::fill(&mut nonce).map_err(|e| StoreError::Io(e.to_string()))?;
    // Stable per package: a resend carries the same Message-ID, so the OCMW's mail system can
    // recognise a duplicate.
    let message_id = format!(
        "<{reference}.{}@aanmelder.kindengezin.be>",
        hex::encode(nonce)
    );
    conn.execute(
        "INSERT INTO outbox (referral_id, package_id, message_id, state, attempts,
           next_attempt_at, queued_at)
         VALUES (?1, ?2, ?3, 'queued', 0, ?4, ?4)",
        (referral_id, package_id, message_id, now.to_rfc3339()),
    )?;
    Ok(())
}

/// After a crash: anything still `sending` may or may not have reached the server.
pub fn recover(store: &Store) -> Result<usize, OutboxError> {
    Ok(store
        .conn()
        .execute(
            "UPDATE outbox SET state = 'maybe_sent' WHERE state = 'sending'",
            [],
        )
        .map_err(StoreError::from)?)
}

pub fn list(store: &Store, gazetteer: &Gazetteer) -> Result<Vec<OutboxItem>, OutboxError> {
    type Row = (
        i64,
        i64,
        String,
        u32,
        String,
        Option<String>,
        String,
        Option<String>,
        String,
        i64,
        (Option<String>, Option<String>, Option<String>),
    );
    let mut stmt = store
        .conn()
        .prepare(
            "SELECT id, referral_id, state, attempts, next_attempt_at, last_error, queued_at,
                    sent_at, message_id, package_id, received_at, error_kind, error_detail
             FROM outbox ORDER BY queued_at, id",
        )
        .map_err(StoreError::from)?;
    let rows = stmt
        .query_map([], |r| -> rusqlite::Result<Row> {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
                (r.get(10)?, r.get(11)?, r.get(12)?),
            ))
        })
        .map_err(StoreError::from)?;
    let mut items = Vec::new();
    for row in rows {
        let (
            id,
            referral_id,
            state,
            attempts,
            next,
            error,
            queued,
            sent,
            message_id,
            package,
            more,
        ) = row.map_err(StoreError::from)?;
        let (received_at, kind, detail) = more;
        let (reference, recipient) = referral::reference_and_recipient(store.conn(), referral_id)?
            .ok_or(OutboxError::Corrupt)?;
        let partner = partner_of(store, referral_id)?;
        let recipient_name = partner.as_ref().map_or_else(
            || {
                Recipient::from_key(&recipient)
                    .map(|r| gazetteer.recipient_name(&r))
                    .unwrap_or(recipient)
            },
            |p| p.name.clone(),
        );
        let state = ItemState::parse(&state).ok_or(OutboxError::Corrupt)?;
        let draft_folder = if state == ItemState::Drafted {
            draft_of(store, id)?.and_then(|p| p.parent().map(|d| d.display().to_string()))
        } else {
            None
        };
        items.push(OutboxItem {
            id,
            draft_folder,
            kind: sealed::kind_of(store.conn(), package)?.ok_or(OutboxError::Corrupt)?,
            reference: reference.to_string(),
            message_id,
            recipient_name,
            state,
            may_have_left: state.may_have_left(),
            by_mail_program: partner
                .as_ref()
                .is_some_and(|p| p.delivery == Delivery::MailProgram),
            attempts,
            next_attempt_at: next,
            last_error: error,
            problem: kind.as_deref().and_then(ProblemKind::parse),
            problem_detail: detail,
            queued_at: queued,
            sent_at: sent,
            received_at,
            agreement_id: partner.map(|p| p.id),
            never_again: never_again(store, referral_id, package)?,
            archive_kept: sealed::archive_kept(store.conn(), package)?,
        });
    }
    Ok(items)
}

/// Where the draft of item `id` was saved for the mail program, if it was and is still known:
/// the newest `.eml` among the saved copies of the item's package.
pub fn draft_of(store: &Store, id: i64) -> Result<Option<std::path::PathBuf>, OutboxError> {
    let Some(facts) = item(store, id)? else {
        return Ok(None);
    };
    Ok(files::copies_of_package(store, facts.package_id)?
        .into_iter()
        .rev()
        .find(|p| p.extension().is_some_and(|e| e == "eml")))
}

/// The register entry of the referral's partner; `None` once it is gone from the register.
fn partner_of(
    store: &Store,
    referral_id: i64,
) -> Result<Option<crate::agreement::Agreement>, OutboxError> {
    match crate::referral::partner(store, referral_id) {
        Ok(partner) => Ok(Some(partner)),
        Err(AgreementError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

pub fn summary(store: &Store, now: DateTime<FixedOffset>) -> Result<OutboxSummary, OutboxError> {
    let (waiting, oldest): (u32, Option<String>) = store
        .conn()
        .query_row(
            // The earliest instant's own text (see [`last_sends`]).
            "SELECT count(*), queued_at, min(julianday(queued_at)) FROM outbox
             WHERE state NOT IN ('sent', 'cancelled')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(StoreError::from)?;
    let overdue = oldest
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .is_some_and(|t| working_days_between(t.date_naive(), now.date_naive()) > 2);
    Ok(OutboxSummary {
        waiting,
        oldest_queued_at: oldest,
        overdue,
    })
}

/// Weekdays after `from`, up to and including `to`.
fn working_days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    from.iter_days()
        .skip(1)
        .take_while(|d| *d <= to)
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .count() as i64
}

/// The worker checked with the OCMW: a "maybe sent" item did not arrive, so send it again.
pub fn confirm_resend(
    store: &Store,
    id: i64,
    now: DateTime<FixedOffset>,
) -> Result<(), OutboxError> {
    if let Some(facts) = item(store, id)? {
        refuse_if_never_again(store, &facts)?;
    }
    let tx = store.transaction()?;
    let from = [ItemState::MaybeSent, ItemState::Attention];
    settle(store, id, &from, ItemState::Queued, "next_attempt_at", now)?;
    // The worker dealt with what went wrong: the item waits like any other, and the referral
    // list no longer says the send failed.
    store
        .conn()
        .execute(
            "UPDATE outbox SET last_error = NULL, error_kind = NULL, error_detail = NULL
              WHERE id = ?1",
            [id],
        )
        .map_err(StoreError::from)?;
    tx.commit()?;
    Ok(())
}

/// The worker checked with the OCMW that a "maybe sent" item arrived, or sent a draft from
/// their mail program.
pub fn confirm_delivered(
    store: &Store,
    id: i64,
    now: DateTime<FixedOffset>,
) -> Result<(), OutboxError> {
    let tx = store.transaction()?;
    let from = [ItemState::MaybeSent, ItemState::Drafted];
    settle(store, id, &from, ItemState::Sent, "sent_at", now)?;
    delivered(store, id, now)?;
    tx.commit()?;
    Ok(())
}

/// A worker's answer moves item `id` from one of the states `from` to `to`, with `now` in the
/// column `stamp`; an item in any other state is not waiting for that answer.
fn settle(
    store: &Store,
    id: i64,
    from: &[ItemState],
    to: ItemState,
    stamp: &'static str,
    now: DateTime<FixedOffset>,
) -> Result<(), OutboxError> {
    let changed = store
        .conn()
        .execute(
            &format!(
                "UPDATE outbox SET state = '{}', {stamp} = ?2 WHERE id = ?1 AND state IN {}",
                to.as_str(),
                ItemState::sql_of(from)
            ),
            (id, now.to_rfc3339()),
        )
        .map_err(StoreError::from)?;
    if changed == 0 {
        return Err(OutboxError::NotWaiting);
    }
    Ok(())
}

/// Sent: the archive stays until the partner's receipt, in case the mail comes back.
fn delivered(store: &Store, id: i64, now: DateTime<FixedOffset>) -> Result<(), StoreError> {
    event(store, id, EventKind::Sent, now)
}

/// Who confirmed that the partner has a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ReceivedHow {
    /// The worker ticked "Ontvangst bevestigd": the OCMW said so, by phone.
    Worker,
    /// A read receipt (MDN) of the mail came into the worker's mailbox.
    ReadReceipt,
    /// A reply quoting the reference came into the worker's mailbox.
    Reply,
}

impl ReceivedHow {
    fn as_str(self) -> &'static str {
        match self {
            Self::Worker => "worker",
            Self::ReadReceipt => "read_receipt",
            Self::Reply => "reply",
        }
    }
}

/// The partner has the package: the receipt is recorded, and the archive and its password are
/// destroyed, each step with its anonymous event (004: files and keys are destroyed after
/// confirmation of receipt). Only a sent package that was not confirmed yet, or one that maybe
/// went out: a receipt in the mailbox settles that doubt, and the item is sent as of its attempt.
pub fn confirm_received(
    store: &Store,
    id: i64,
    how: ReceivedHow,
    now: DateTime<FixedOffset>,
) -> Result<(), OutboxError> {
    let tx = store.transaction()?;
    let facts = item(store, id)?.ok_or(OutboxError::NotWaiting)?;
    // A maybe-sent item left at its attempt, which `finish` keeps as its next attempt.
    let changed = store
        .conn()
        .execute(
            &format!(
                "UPDATE outbox SET received_at = ?2, received_how = ?3, state = 'sent',
                   sent_at = coalesce(sent_at, next_attempt_at)
                 WHERE id = ?1 AND state IN {} AND received_at IS NULL",
                ItemState::sql_list(ItemState::awaits_receipt)
            ),
            (id, now.to_rfc3339(), how.as_str()),
        )
        .map_err(StoreError::from)?;
    if changed == 0 {
        return Err(OutboxError::NotWaiting);
    }
    if facts.state == ItemState::MaybeSent {
        delivered(store, id, now)?;
    }
    event(store, id, EventKind::Received, now)?;
    // The partner has the mail; archive and password go once it can open it too. A receipt
    // before the worker passed the password on keeps them: the worker still has to read it out.
    if sealed::password_passed_on(store.conn(), facts.package_id)? {
        destroy_received(store, id, facts.package_id, now)?;
    }
    tx.commit()?;
    delete_copies_no_longer_needed(store, now);
    Ok(())
}

/// The worker passed on the password of the package `package_id`: if the partner already
/// confirmed its receipt, the archive and the password go now.
pub(crate) fn password_passed(
    store: &Store,
    package_id: i64,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    let Some(id) = store
        .conn()
        .query_row(
            "SELECT id FROM outbox WHERE package_id = ?1 AND received_at IS NOT NULL",
            [package_id],
            |r| r.get(0),
        )
        .optional()?
    else {
        return Ok(());
    };
    if sealed::archive_kept(store.conn(), package_id)? {
        destroy_received(store, id, package_id, now)?;
    }
    Ok(())
}

/// Destroys a received package's archive and password (seed 004), with its anonymous event.
fn destroy_received(
    store: &Store,
    id: i64,
    package_id: i64,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    sealed::destroy(store.conn(), package_id)?;
    event(store, id, EventKind::Destroyed, now)
}

/// Deletes the copies saved outside the store (the worker's copy of an archive, the mail
/// program's draft) of every package whose archive the store no longer holds: received, taken
/// out of the outbox, or wiped with the client's data, none of them has anything left to do
/// (seed 004: after the receipt, files and keys are destroyed on both sides). Also those of a
/// package a correction replaced, which may never go again: its draft would carry the old data.
///
/// It follows the store rather than being told: the archive's destruction is part of a
/// transaction that may still roll back (a withdrawal whose notice cannot be made), a file's
/// deletion cannot be, so the files go only after what decided it is committed. Run after
/// such a commit, and by the retention's round every minute, which also takes what a crash in
/// between, or a copy saved while its package was being destroyed, left behind. For the same
/// reason it is best effort and says nothing: what the caller did is recorded already, and a
/// copy this pass could not reach (the store busy, a query failing) the next one takes; a file
/// the system will not delete is listed for the worker by [`files::not_deleted`].
pub(crate) fn delete_copies_no_longer_needed(store: &Store, now: DateTime<FixedOffset>) {
    if !store.conn().is_autocommit() {
        // Inside a unit of work not yet committed: the next round takes them.
        return;
    }
    let pass = || -> Result<(), StoreError> {
        for package in files::packages_with_copies(store)? {
            // A package whose item cannot be read is left to the purge, not allowed to stop
            // the pass for every other one.
            if !sealed::archive_kept(store.conn(), package)?
                || replaced(store, package).unwrap_or(false)
            {
                files::delete_for_package(store, package, now)?;
            }
        }
        Ok(())
    };
    let _ = pass();
}

/// Whether package `package_id` may no longer go because a correction replaced it: its
/// archive stays in the store while the partner may have it, but a copy outside is only a copy
/// of out-of-date data the worker might still send.
fn replaced(store: &Store, package_id: i64) -> Result<bool, StoreError> {
    let facts = item_of_package(store, package_id)?;
    Ok(never_again(store, facts.referral_id, package_id)? == Some(NeverAgain::Corrected))
}

/// The package came back: the partner's server did not deliver it. The item needs the worker's
/// attention, with the server's reason; "send again" sends the kept archive.
pub fn bounced(
    store: &Store,
    id: i64,
    bounce: &Bounce,
    now: DateTime<FixedOffset>,
) -> Result<(), OutboxError> {
    let tx = store.transaction()?;
    let facts = item(store, id)?.ok_or(OutboxError::NotWaiting)?;
    let partner = partner_of(store, facts.referral_id)?.map(|p| p.name);
    let changed = store
        .conn()
        .execute(
            &format!(
                "UPDATE outbox SET state = 'attention', last_error = ?2, error_kind = ?3,
                   error_detail = ?4, next_attempt_at = ?5, bounce_seen = ?6
                 WHERE id = ?1 AND state IN {} AND received_at IS NULL",
                ItemState::sql_list(ItemState::awaits_receipt)
            ),
            (
                id,
                ProblemKind::Bounced.explain(partner.as_deref()),
                ProblemKind::Bounced.as_str(),
                &bounce.reason,
                now.to_rfc3339(),
                bounce.seen.to_string(),
            ),
        )
        .map_err(StoreError::from)?;
    if changed == 0 {
        return Err(OutboxError::NotWaiting);
    }
    // A bounce shows that the mail left: a maybe-sent item went, and came back.
    if facts.state == ItemState::MaybeSent {
        delivered(store, id, now)?;
    }
    event(store, id, EventKind::Bounced, now)?;
    // It did not arrive, and after a withdrawal or a correction it may not go again.
    take_out_if_never_again(store, id, now)?;
    tx.commit()?;
    delete_copies_no_longer_needed(store, now);
    Ok(())
}

/// A bounce found in the worker's mailbox: the server's reason, and where it lies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounce {
    pub reason: String,
    pub seen: MailboxPlace,
}

/// A message's place in a mailbox (IMAP): its UID, valid while the UIDVALIDITY holds, and its
/// arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailboxPlace {
    pub validity: u32,
    pub uid: u32,
    /// When it arrived in the mailbox (its INTERNALDATE, in seconds since 1970, by the mail
    /// server's clock), if the server said. A UID means nothing once the UIDVALIDITY changed
    /// (the mailbox was moved or rebuilt); the arrival, which a move keeps, still tells an
    /// older report from a newer one.
    pub arrived: Option<i64>,
}

impl std::fmt::Display for MailboxPlace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.validity, self.uid)?;
        match self.arrived {
            Some(arrived) => write!(f, ":{arrived}"),
            None => Ok(()),
        }
    }
}

impl std::str::FromStr for MailboxPlace {
    type Err = ();
    /// `validity:uid:arrived`, or `validity:uid` as stored before the arrival was kept.
    fn from_str(s: &str) -> Result<Self, ()> {
        let mut parts = s.split(':');
        let mut next = || parts.next().ok_or(());
        let (validity, uid) = (next()?, next()?);
        let arrived = parts.next().map(str::parse).transpose().map_err(|_| ())?;
        if parts.next().is_some() {
            return Err(());
        }
        Ok(Self {
            validity: validity.parse().map_err(|_| ())?,
            uid: uid.parse().map_err(|_| ())?,
            arrived,
        })
    }
}

/// A sent item still waiting for its receipt, as the mailbox check needs it.
#[derive(Debug, Clone)]
pub struct Awaiting {
    pub id: i64,
    pub message_id: String,
    /// The last bounce already handled for it, to look past.
    pub bounce_seen: Option<MailboxPlace>,
    /// The Date of its latest attempt's mail, when the app sent it itself: a bounce of a mail
    /// dated earlier is about an earlier attempt.
    pub mail_date: Option<DateTime<FixedOffset>>,
}

/// Sent items still waiting for their receipt, and those that maybe went out, for the mailbox
/// check to look for exactly these and nothing else.
pub fn awaiting_receipt(store: &Store) -> Result<Vec<Awaiting>, OutboxError> {
    type Row = (i64, String, i64, Option<String>, Option<String>);
    let rows: Vec<Row> = store
        .conn()
        .prepare(&format!(
            "SELECT id, message_id, referral_id, bounce_seen, mail_date FROM outbox
             WHERE state IN {} AND received_at IS NULL ORDER BY id",
            ItemState::sql_list(ItemState::awaits_receipt)
        ))
        .map_err(StoreError::from)?
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .map_err(StoreError::from)?
        .collect::<Result<_, _>>()
        .map_err(StoreError::from)?;
    let mut out = Vec::new();
    for (id, message_id, referral_id, seen, mail_date) in rows {
        // A referral gone from the register has nothing left to confirm.
        if referral::reference_and_recipient(store.conn(), referral_id)?.is_some() {
            out.push(Awaiting {
                id,
                message_id,
                bounce_seen: seen.and_then(|s| s.parse().ok()),
                mail_date: mail_date.and_then(|d| DateTime::parse_from_rfc3339(&d).ok()),
            });
        }
    }
    Ok(out)
}

/// Records what happened to item `id`'s package, naming the package: the evaluation must know
/// which of a referral's packages came back.
fn event(
    store: &Store,
    id: i64,
    kind: EventKind,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    let (referral_id, package_id): (i64, i64) = store.conn().query_row(
        "SELECT referral_id, package_id FROM outbox WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let (reference, recipient) = referral::reference_and_recipient(store.conn(), referral_id)?
        .ok_or_else(|| StoreError::Sqlite("verzenditem zonder aanmelding".into()))?;
    ledger::record_package(store, kind, now, &recipient, reference.as_str(), package_id)
}

/// What [`cancel_unsent`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cancelled {
    /// The partner may already have one of the referral's packages (sent, possibly sent, being
    /// sent, or handed to the worker's mail program): then it must be told of a withdrawal.
    pub reached: bool,
    /// How many packages were taken out before they went.
    pub cancelled: u32,
}

/// For a withdrawal: takes every package of a referral that has not gone out out of the
/// outbox, and deletes its archive. A package that may be with the partner (sent, maybe sent,
/// a draft, or being sent right now) keeps its state, so that a receipt still settles it and
/// the partner is told; its archive goes now, with the client's data, for it never goes again
/// ([`never_again`]).
pub(crate) fn cancel_unsent(
    store: &Store,
    referral_id: i64,
    now: DateTime<FixedOffset>,
) -> Result<Cancelled, StoreError> {
    let reached = reached(store, referral_id)?;
    let cancelled = take_out(
        store,
        referral_id,
        ItemState::never_left,
        ItemState::may_be_there,
        now,
    )?;
    Ok(Cancelled {
        reached,
        cancelled: u32::try_from(cancelled).unwrap_or(u32::MAX),
    })
}

/// Takes items that have not left ([`ItemState::never_left`]) out of the outbox for good, with
/// their archives, each with its ledger event; an item in any other state stays as it is. How
/// many it took out.
fn cancel(store: &Store, ids: &[i64], now: DateTime<FixedOffset>) -> Result<usize, StoreError> {
    let conn = store.conn();
    let tx = store.transaction()?;
    let mut taken = 0;
    for &id in ids {
        let changed = conn.execute(
            &format!(
                "UPDATE outbox SET state = 'cancelled', next_attempt_at = ?2
                 WHERE id = ?1 AND state IN {}",
                ItemState::sql_list(ItemState::never_left)
            ),
            (id, now.to_rfc3339()),
        )?;
        if changed == 0 {
            continue;
        }
        if let Some(item) = item(store, id)? {
            sealed::destroy(conn, item.package_id)?;
        }
        event(store, id, EventKind::Cancelled, now)?;
        taken += 1;
    }
    tx.commit()?;
    Ok(taken)
}

/// Why a package with the client's data never goes out (again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum NeverAgain {
    /// The client withdrew consent since it was made.
    Withdrawn,
    /// A correction made since carries the client's data as they are now; this package's are
    /// out of date.
    Corrected,
}

/// Whether the package `package_id` of referral `referral_id` carries the client's data (a
/// referral or a correction, not a withdrawal notice) that may no longer go out, and why. Such a
/// package never goes, not even again: consent and the data's currency are checked at the send,
/// like the protocol ([`check_basis`]).
fn never_again(
    store: &Store,
    referral_id: i64,
    package_id: i64,
) -> Result<Option<NeverAgain>, StoreError> {
    let conn = store.conn();
    Ok(
        if sealed::kind_of(conn, package_id)? == Some(PackageKind::Withdrawal) {
            None
        } else if referral::is_withdrawn(conn, referral_id)? {
            Some(NeverAgain::Withdrawn)
        } else if sealed::corrected_since(conn, referral_id, package_id)? {
            Some(NeverAgain::Corrected)
        } else {
            None
        },
    )
}

/// Refuses, in the worker's words, what would send `facts`'s package once it may no longer go
/// ([`never_again`]).
fn refuse_if_never_again(store: &Store, facts: &ItemFacts) -> Result<(), OutboxError> {
    match never_again(store, facts.referral_id, facts.package_id)? {
        Some(NeverAgain::Withdrawn) => Err(OutboxError::Withdrawn),
        Some(NeverAgain::Corrected) => Err(OutboxError::Corrected),
        None => Ok(()),
    }
}

/// Whether the worker may take a copy of package `package_id`'s archive out of Aanmelder. Such
/// a copy is a send the worker may finish by hand, so it is held to the rules of a send on the
/// day it is taken: a referral or correction only under a protocol in force, and not once it
/// may no longer go (withdrawn, or corrected since); a withdrawal notice always.
pub(crate) fn may_hand_out(
    store: &Store,
    package_id: i64,
    now: DateTime<FixedOffset>,
) -> Result<(), OutboxError> {
    let facts = item_of_package(store, package_id)?;
    refuse_if_never_again(store, &facts)?;
    match protocol_bars(store, facts.referral_id, package_id, now.date_naive())? {
        None => Ok(()),
        Some(AgreementError::NotFound) => Err(OutboxError::NoPartner),
        Some(bar) => Err(bar.into()),
    }
}

/// What keeps package `package_id` of referral `referral_id` from going on `day` under its
/// partner's protocol, if anything. Nothing keeps a withdrawal notice: the OCMW has the data
/// and must delete them. A referral or correction needs a protocol in force that day, and its
/// partner in the register ([`AgreementError::NotFound`] when it is gone).
fn protocol_bars(
    store: &Store,
    referral_id: i64,
    package_id: i64,
    day: NaiveDate,
) -> Result<Option<AgreementError>, OutboxError> {
    if sealed::kind_of(store.conn(), package_id)? == Some(PackageKind::Withdrawal) {
        return Ok(None);
    }
    match crate::referral::partner(store, referral_id) {
        Err(AgreementError::NotFound) => Ok(Some(AgreementError::NotFound)),
        Err(e) => Err(e.into()),
        Ok(agreement) => Ok(agreement.in_force_on(day).err()),
    }
}

/// Takes item `id` out of the outbox when it has not left though it may no longer go
/// ([`never_again`]). A withdrawal takes out what waits at that moment; this catches an item
/// that comes back to waiting afterwards: a send under way that failed, a bounce. Whether it
/// took the item out.
fn take_out_if_never_again(
    store: &Store,
    id: i64,
    now: DateTime<FixedOffset>,
) -> Result<bool, StoreError> {
    let Some(facts) = item(store, id)? else {
        return Ok(false);
    };
    if !facts.state.never_left()
        || never_again(store, facts.referral_id, facts.package_id)?.is_none()
    {
        return Ok(false);
    }
    Ok(cancel(store, &[id], now)? == 1)
}

/// Gives up on a referral's stuck items: their retention ran out, or the worker deleted them.
/// Failed and refused items never reached the partner and are cancelled. Items that may have
/// reached it (possibly sent, a draft handed to the mail program) keep their state, so that a
/// later withdrawal still tells the OCMW; only their archive and password go, with the data.
pub(crate) fn give_up(
    store: &Store,
    referral_id: i64,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    take_out(
        store,
        referral_id,
        ItemState::stuck_unsent,
        ItemState::stuck_maybe_there,
        now,
    )?;
    Ok(())
}

/// Of the referral `referral_id`'s items, cancels those in a state for which `out` holds (see
/// [`cancel`]) and destroys the archives of those in a state for which `emptied` holds, which
/// keep their state. How many it cancelled.
fn take_out(
    store: &Store,
    referral_id: i64,
    out: fn(ItemState) -> bool,
    emptied: fn(ItemState) -> bool,
    now: DateTime<FixedOffset>,
) -> Result<usize, StoreError> {
    let cancelled = cancel(
        store,
        &of_referral(store, referral_id, Of::Items, out)?,
        now,
    )?;
    for package_id in of_referral(store, referral_id, Of::Packages, emptied)? {
        sealed::destroy(store.conn(), package_id)?;
    }
    Ok(cancelled)
}

/// Whether a package of this referral may be with the partner already, or is on its way: then
/// deleting it is not enough, the client's withdrawal must be told.
pub(crate) fn may_have_reached(store: &Store, referral_id: i64) -> Result<bool, StoreError> {
    Ok(store.conn().query_row(
        "SELECT count(*) > 0 FROM outbox WHERE referral_id = ?1
           AND state IN ('queued', 'sending', 'sent', 'maybe_sent', 'drafted')",
        [referral_id],
        |r| r.get(0),
    )?)
}

/// Items whose turn it is, for partners reached through the mail server. `now_anyway`: the
/// worker pressed "Nu verzenden", so what waits for its next attempt is tried now too.
pub fn due(
    store: &Store,
    now: DateTime<FixedOffset>,
    now_anyway: bool,
) -> Result<Vec<i64>, OutboxError> {
    due_for(store, now, Delivery::Smtp, now_anyway)
}

fn due_for(
    store: &Store,
    now: DateTime<FixedOffset>,
    delivery: Delivery,
    now_anyway: bool,
) -> Result<Vec<i64>, OutboxError> {
    let mut stmt = store
        .conn()
        .prepare(
            // Times carry the offset they were taken in: compared as instants, not as text
            // (an hour apart across the autumn clock change).
            "SELECT o.id, o.referral_id FROM outbox o
             WHERE o.state IN ('queued', 'failed')
               AND (?2 OR julianday(o.next_attempt_at) <= julianday(?1))
             ORDER BY julianday(o.queued_at), o.id",
        )
        .map_err(StoreError::from)?;
    let due = stmt
        .query_map((now.to_rfc3339(), now_anyway), |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .map_err(StoreError::from)?
        .collect::<Result<Vec<(i64, i64)>, _>>()
        .map_err(StoreError::from)?;
    let mut ids = Vec::new();
    for (id, referral_id) in due {
        if delivery_of(store, referral_id)? == delivery {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// How the referral's partner is reached. An item whose partner is gone goes the server's way,
/// where it meets "no partner".
pub(crate) fn delivery_of(store: &Store, referral_id: i64) -> Result<Delivery, OutboxError> {
    Ok(partner_of(store, referral_id)?.map_or(Delivery::Smtp, |p| p.delivery))
}

/// For partners reached through the worker's own mail program: writes each due package as a
/// ready draft (`aanmelding-<reference>.eml`, marked `X-Unsent: 1` so Outlook and Thunderbird
/// open it for sending) into `folder`. The worker sends it and confirms with
/// [`confirm_delivered`]. Returns the files written.
pub fn write_drafts(
    store: &Store,
    folder: &std::path::Path,
    now: DateTime<FixedOffset>,
) -> Result<Vec<std::path::PathBuf>, OutboxError> {
    let mut written = Vec::new();
    for id in due_for(store, now, Delivery::MailProgram, true)? {
        // The same legal check as a send: a draft is a send the worker finishes.
        match check_basis(store, id, now) {
            Err(OutboxError::NoBasis(_) | OutboxError::NotWaiting) => continue,
            other => other?,
        }
        let Composed {
            mail,
            file_name,
            reference,
            message_id,
            package_id,
        } = match compose_for(store, id, now) {
            // Taken by another copy of the app since it was found due.
            Err(OutboxError::NotWaiting) => continue,
            other => other?,
        };
        let mut bytes = b"X-Unsent: 1\r\n".to_vec();
        bytes.extend_from_slice(&mail.bytes);
        let draft = Export {
            file_name: file_name.replace(".7z", ".eml"),
            bytes: bytes.into(),
        };
        // A draft of this very mail, not recorded: the app stopped between naming it and
        // recording it. It is the draft; a second one could be sent twice. It may carry a
        // number, when the folder held a file of its name already.
        let left = files::names_for(folder, &draft.file_name).find(|path| {
            std::fs::read(path).is_ok_and(|b| {
                b.windows(message_id.len())
                    .any(|w| w == message_id.as_bytes())
            })
        });
        if let Some(left) = left {
            let tx = store.transaction()?;
            if mark_drafted(store, id)? {
                files::remember(store, &reference, Some(package_id), &left, now)?;
                tx.commit()?;
                written.push(left);
            }
            continue;
        }
        // The copy's row, the whole file, the item marked, then the file's name: a full or
        // read-only folder leaves neither a partial draft nor an item marked as drafted.
        let staged =
            files::stage_for_referral(store, &reference, Some(package_id), folder, &draft, now)?;
        let tx = store.transaction()?;
        if !mark_drafted(store, id)? {
            // Taken by another copy of the app meanwhile: its draft, not ours.
            continue;
        }
        let path = staged.commit()?;
        tx.commit()?;
        written.push(path);
    }
    Ok(written)
}

/// Marks a waiting item as handed to the mail program as a draft; `false` when it was no
/// longer waiting.
fn mark_drafted(store: &Store, id: i64) -> Result<bool, StoreError> {
    Ok(store.conn().execute(
        // The mail program dates the mail it sends: no Date of ours to tell its bounce by.
        "UPDATE outbox SET state = 'drafted', mail_date = NULL
         WHERE id = ?1 AND state IN ('queued', 'failed')",
        [id],
    )? == 1)
}

/// The mail for a waiting item, after a check of its legal basis on the day of the send. It only
/// reads (and puts an item without a basis in "aandacht nodig"): [`claim`] takes the item.
fn prepare(
    store: &Store,
    id: i64,
    now: DateTime<FixedOffset>,
) -> Result<OutgoingMail, OutboxError> {
    check_basis(store, id, now)?;
    Ok(compose_for(store, id, now)?.mail)
}

/// Claims a prepared item (`sending`, with the caller's transaction), checking its basis again
/// at this last moment. The claim only takes an item that is still waiting, so of two processes
/// on one store exactly one sends it; the other gets [`OutboxError::NotWaiting`], as does a sync
/// whose item was withdrawn since it was prepared. The claim records the Date of the mail it
/// lets go (`dated`), by which a bounce of this attempt is told from one of an earlier one.
fn claim(
    store: &Store,
    id: i64,
    dated: DateTime<FixedOffset>,
    now: DateTime<FixedOffset>,
) -> Result<(), OutboxError> {
    check_basis(store, id, now)?;
    let claimed = store
        .conn()
        .execute(
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1, mail_date = ?2
             WHERE id = ?1 AND state IN ('queued', 'failed')",
            (id, dated.to_rfc3339()),
        )
        .map_err(StoreError::from)?;
    if claimed != 1 {
        return Err(OutboxError::NotWaiting);
    }
    Ok(())
}

/// The decree allows a referral only under a protocol in force: checked on the day a package
/// goes out, not only when it was made. A referral or correction whose partner's protocol has
/// ended (or not begun, or is gone from the register) is put in "aandacht nodig" with the reason
/// and never sent. A withdrawal notice always goes: the OCMW has the data and must delete them.
/// A package that may no longer go ([`never_again`]) is taken out of the outbox
/// ([`OutboxError::NotWaiting`]).
fn check_basis(store: &Store, id: i64, now: DateTime<FixedOffset>) -> Result<(), OutboxError> {
    let ItemFacts {
        referral_id,
        package_id,
        ..
    } = item(store, id)?.ok_or(OutboxError::NotWaiting)?;
    if take_out_if_never_again(store, id, now)? {
        return Err(OutboxError::NotWaiting);
    }
    let Some(bar) = protocol_bars(store, referral_id, package_id, now.date_naive())? else {
        return Ok(());
    };
    let why = match bar {
        AgreementError::NotFound => {
            let (_, recipient) = referral::reference_and_recipient(store.conn(), referral_id)?
                .ok_or(OutboxError::NotWaiting)?;
            AgreementError::NoAgreement { partner: recipient }.to_string()
        }
        bar => bar.to_string(),
    };
    store
        .conn()
        .execute(
            "UPDATE outbox SET state = 'attention', last_error = ?2, error_kind = ?3,
               error_detail = NULL
             WHERE id = ?1 AND state IN ('queued', 'failed')",
            (id, &why, ProblemKind::NoBasis.as_str()),
        )
        .map_err(StoreError::from)?;
    Err(OutboxError::NoBasis(why))
}

/// The mail for a waiting item, with what a draft of it needs.
struct Composed {
    mail: OutgoingMail,
    /// The attachment's name.
    file_name: String,
    /// The referral's reference.
    reference: String,
    message_id: String,
    package_id: i64,
}

/// The mail for a waiting item, dated `now`.
fn compose_for(
    store: &Store,
    id: i64,
    now: DateTime<FixedOffset>,
) -> Result<Composed, OutboxError> {
    let worker = WorkerProfile::load(store)?;
    worker.require_complete()?;
    let row = store
        .conn()
        .query_row(
            "SELECT message_id, referral_id, package_id FROM outbox
             WHERE id = ?1 AND state IN ('queued', 'failed')",
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            },
        )
        .optional()
        .map_err(StoreError::from)?
        .ok_or(OutboxError::NotWaiting)?;
    let (message_id, referral_id, package_id) = row;
    let (kind, sealed::StoredFile { file_name, archive }) =
        sealed::attachment(store.conn(), package_id)?.ok_or(OutboxError::NotWaiting)?;
    let (reference, _) = referral::reference_and_recipient(store.conn(), referral_id)?
        .ok_or(OutboxError::NotWaiting)?;
    let reference = reference.to_string();
    let mailbox = match crate::referral::partner(store, referral_id) {
        Ok(partner) => partner.mailbox,
        Err(AgreementError::NotFound) => return Err(OutboxError::NoPartner),
        Err(e) => return Err(e.into()),
    };
    let archive = archive.ok_or(OutboxError::NotWaiting)?;
    let mail = mail::compose(&Letter {
        kind,
        reference: &reference,
        message_id: &message_id,
        worker: &worker,
        mailbox: &mailbox,
        file_name: &file_name,
        archive: &archive,
        date: now,
    })?;
    Ok(Composed {
        mail,
        file_name,
        reference,
        message_id,
        package_id,
    })
}

/// Records how an attempt ended.
fn finish(
    store: &Store,
    id: i64,
    result: &Result<(), DeliveryError>,
    now: DateTime<FixedOffset>,
) -> Result<ItemState, OutboxError> {
    let tx = store.transaction()?;
    let (attempts, referral_id): (u32, i64) = tx
        .query_row(
            "SELECT attempts, referral_id FROM outbox WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(StoreError::from)?;
    let backoff =
        Duration::minutes((1i64 << attempts.min(20).saturating_sub(1)).min(MAX_BACKOFF_MINUTES));
    let (state, next) = match result {
        Ok(()) => (ItemState::Sent, now),
        Err(DeliveryError::Transient(_)) => (ItemState::Failed, now + backoff),
        Err(DeliveryError::Interrupted(_)) => (ItemState::Queued, now + backoff),
        Err(DeliveryError::Permanent(_)) => (ItemState::Attention, now),
        Err(DeliveryError::Unanswered(_)) => (ItemState::MaybeSent, now),
        // Nothing of it was written: it waits for the next sync.
        Err(DeliveryError::Withheld) => (ItemState::Queued, now),
    };
    let problem = result.as_ref().err().and_then(DeliveryError::problem);
    let partner = partner_of(store, referral_id)?.map(|p| p.name);
    let explained = problem.map(|p| p.kind.explain(partner.as_deref()));
    tx.execute(
        "UPDATE outbox SET state = ?2, last_error = ?3, error_kind = ?4, error_detail = ?5,
           next_attempt_at = ?6, sent_at = CASE WHEN ?2 = 'sent' THEN ?7 ELSE sent_at END
         WHERE id = ?1",
        (
            id,
            state.as_str(),
            explained,
            problem.map(|p| p.kind.as_str()),
            problem.map(|p| p.detail.as_str()),
            next.to_rfc3339(),
            now.to_rfc3339(),
        ),
    )
    .map_err(StoreError::from)?;
    // A withdrawal or a correction while it was being sent: what did not get through does not
    // wait to go again.
    let state = if take_out_if_never_again(store, id, now)? {
        ItemState::Cancelled
    } else {
        state
    };
    match state {
        ItemState::Sent => delivered(store, id, now)?,
        ItemState::Attention => event(store, id, EventKind::Failed, now)?,
        _ => {}
    }
    if problem.is_some_and(|p| p.kind == ProblemKind::Unreachable) {
        event(store, id, EventKind::Unreachable, now)?;
    }
    tx.commit()?;
    Ok(state)
}

/// Whether a problem is the server's or the network's, not this mail's: the next mail would
/// meet it too.
fn stops_the_sync(kind: ProblemKind) -> bool {
    matches!(
        kind,
        ProblemKind::Unreachable
            | ProblemKind::SignIn
            | ProblemKind::SenderRefused
            | ProblemKind::Insecure
            // A server that takes a mail and falls silent would leave every next one in doubt.
            | ProblemKind::Unanswered
    )
}

/// Sends every item that is due, reporting `(done, total)` after each. `now_anyway`: the worker
/// asked, so items waiting for their next attempt go now too. When the server cannot be reached
/// or refuses the sign-in, the sync stops there: the items not tried keep waiting, and the report
/// says why.
///
/// Each item is claimed (committed) before its message goes out, and its outcome recorded after,
/// without holding the store during the delivery. The outcome of one mail and the claim of the
/// next are one transaction, one fsync'd commit a mail, and it runs while the transport sends the
/// next mail's envelope on a thread of its own. The message itself waits for the commit (see
/// [`Pending`]), so a crash at any moment still sends nothing twice.
pub fn sync(
    access: &impl StoreAccess,
    transport: &impl Transport,
    now: impl Fn() -> DateTime<FixedOffset>,
    now_anyway: bool,
    mut progress: impl FnMut(usize, usize),
) -> Result<SyncReport, OutboxError> {
    let ids = access.with(|store| due(store, now(), now_anyway))?;
    let total = ids.len();
    let mut report = SyncReport::default();
    let mut done = 0;
    let mut count = |report: &mut SyncReport, state: Option<ItemState>| {
        match state {
            Some(ItemState::Sent) => report.sent += 1,
            Some(ItemState::Attention) => report.attention += 1,
            Some(ItemState::MaybeSent) => report.unanswered += 1,
            // Taken by another copy of the app (it sends the item, not this sync), or taken out
            // after a withdrawal.
            Some(ItemState::Cancelled) | None => {}
            Some(_) => report.failed += 1,
        }
        done += 1;
        progress(done, total);
    };
    let mut next_ids = ids.into_iter();
    let mut run = || -> Result<(), OutboxError> {
        // The mail last handed to the transport, and how that went: recorded with the next claim.
        let mut delivered: Option<(i64, Result<(), DeliveryError>)> = None;
        loop {
            let stopping = delivered
                .as_ref()
                .and_then(|(_, result)| result.as_ref().err())
                .and_then(DeliveryError::problem)
                .filter(|p| stops_the_sync(p.kind))
                .cloned();
            let next = if stopping.is_some() {
                None
            } else {
                next_ids.next()
            };
            let mut prepared = None;
            let mut broken = None;
            if let Some(id) = next {
                match access.with(|store| prepare(store, id, now())) {
                    Ok(mail) => prepared = Some((id, mail)),
                    Err(e) if needs_the_worker(&e) => {
                        count(&mut report, Some(ItemState::Attention))
                    }
                    Err(OutboxError::NotWaiting) => count(&mut report, None),
                    Err(e) => broken = Some(e),
                }
            }
            let (step, result) = std::thread::scope(|scope| {
                let (verdict, awaited) = std::sync::mpsc::sync_channel(1);
                let sending = prepared.as_ref().map(|(_, mail)| {
                    scope.spawn(move || {
                        transport.deliver(Pending {
                            mail,
                            claim: awaited,
                        })
                    })
                });
                let step = if delivered.is_some() || prepared.is_some() {
                    access.with(|store| {
                        let tx = store.transaction()?;
                        let recorded = match &delivered {
                            Some((id, result)) => Some(finish(store, *id, result, now())?),
                            None => None,
                        };
                        let claimed = prepared
                            .as_ref()
                            .map(|(id, mail)| claim(store, *id, mail.date, now()));
                        tx.commit()?;
                        Ok((recorded, claimed))
                    })
                } else {
                    Ok((None, None))
                };
                // A transport that gave up before asking has dropped its end: nothing to tell.
                let _ = verdict.send(matches!(step, Ok((_, Some(Ok(()))))));
                let result = sending.map(|thread| {
                    thread
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                });
                (step, result)
            });
            let (recorded, claimed) = step?;
            if let Some(state) = recorded {
                count(&mut report, Some(state));
            }
            delivered = None;
            if let Some(e) = broken {
                return Err(e);
            }
            if let Some(problem) = stopping {
                report.stopped = Some(problem.kind.explain(None));
                report.stopped_by = Some(problem.kind);
                return Ok(());
            }
            match (prepared, claimed, result) {
                (Some((id, _)), Some(Ok(())), Some(result)) => delivered = Some((id, result)),
                (_, Some(Err(e)), _) if needs_the_worker(&e) => {
                    count(&mut report, Some(ItemState::Attention));
                }
                (_, Some(Err(OutboxError::NotWaiting)), _) => count(&mut report, None),
                (_, Some(Err(e)), _) => return Err(e),
                // Nothing left to send, or this item needed the worker: on to the next, if any.
                _ if next.is_none() => return Ok(()),
                _ => {}
            }
        }
    };
    let outcome = run();
    transport.finish();
    // What the sync took out (a package that may not go again) leaves no copy behind.
    let _ = access.with(|store| {
        delete_copies_no_longer_needed(store, now());
        Ok(())
    });
    outcome.map(|()| report)
}

/// A mail that cannot even be composed, or may not go: it needs the worker, and the other items
/// still go.
fn needs_the_worker(e: &OutboxError) -> bool {
    matches!(
        e,
        OutboxError::Mail(_) | OutboxError::NoPartner | OutboxError::NoBasis(_)
    )
}

/// Why the outbox could not do what was asked.
#[derive(Debug, thiserror::Error, Coded)]
#[coded(prefix = "outbox")]
pub enum OutboxError {
    #[error("Dit pakket wacht niet (meer) op verzending.")]
    NotWaiting,
    #[error(
        "De cliënt heeft de toestemming ingetrokken: dit pakket wordt niet meer verzonden. De \
         intrekking zelf staat apart in de verzendlijst."
    )]
    Withdrawn,
    #[error(
        "Er is intussen een correctie voor deze aanmelding: die gaat in de plaats van dit pakket, \
         met de gegevens zoals ze nu zijn. Dit pakket wordt niet meer verzonden."
    )]
    Corrected,
    #[error(
        "De partner van dit pakket staat niet meer in het register: er is geen mailbox om naar te \
         sturen. Neem contact op met de leidinggevende van je team."
    )]
    NoPartner,
    #[error("De verzendlijst in de databank is onleesbaar.")]
    Corrupt,
    #[error(
        "Er is nog geen mailserver ingesteld, dus Aanmelder kan deze pakketten niet zelf \
         verzenden. Vul bij Instellingen de mailserver van je team in."
    )]
    NoServer,
    #[error(
        "Het postvak kon niet gelezen worden. Ontvangstbevestigingen komen bij de volgende keer \
         binnen; verzonden pakketten blijven intussen bewaard. Technische melding voor ICT: {0}"
    )]
    Mailbox(String),
    #[error(
        "Het postvak aanvaardde de aanmelding niet. Kijk de gebruikersnaam en het wachtwoord na \
         onder Instellingen, of meld opnieuw aan. Technische melding voor ICT: {0}"
    )]
    MailboxSignIn(String),
    /// The protocol with the partner is not in force today; the Dutch reason says why.
    #[error("{0}")]
    NoBasis(String),
    #[error(transparent)]
    Settings(#[from] settings::SettingsError),
    #[error(transparent)]
    OAuth(#[from] oauth::OAuthError),
    #[error(transparent)]
    #[coded(code = "outbox.smtp")]
    Smtp(#[from] smtp::SmtpError),
    #[error(transparent)]
    #[coded(code = "outbox.mail")]
    Mail(#[from] MailError),
    #[error(transparent)]
    Worker(#[from] WorkerError),
    #[error(transparent)]
    Agreement(#[from] AgreementError),
    #[error("De map kon niet geopend worden. Open ze zelf in je bestandsbeheer: {0}")]
    OpenFolder(String),
    /// Writing a draft: the folder's own message (full, read-only, …).
    #[error(transparent)]
    Save(#[from] files::SaveError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests;
