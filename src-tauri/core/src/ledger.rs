//! The ledger: every step of every referral, as an anonymous, tamper-evident chain.
//!
//! The yearly evaluation (domain.md, "After sending") needs counts, not people, and a DPO needs
//! to trust them. So each event holds only what happened, when, for which partner and under which
//! reference code, never a client's data. Each event's hash covers the previous hash, its own
//! place in the chain and its fields, and is an HMAC under a key derived from the database key: an
//! edited, removed, inserted or reordered event breaks the chain at that event, and rebuilding the
//! chain after an edit needs the key, which never sits in the database. A sealed head records the
//! last link, so cutting events off the end shows too.
//!
//! This module is the only writer of the `ledger` table.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, FixedOffset, NaiveDate};
use hmac::{Hmac, Mac as _};
use rusqlite::{Connection, OptionalExtension as _};
use serde::Serialize;
use sha2::Sha256;
use ts_rs::TS;

use crate::error::Coded;
use crate::reference::Reference;
use crate::residence::Recipient;
use crate::store::{LedgerKey, Store, StoreError, Upgrade};

type HmacSha256 = Hmac<Sha256>;

/// Keep a link's MAC apart from the head's.
const LINK_LABEL: &[u8] = b"link";
const HEAD_LABEL: &[u8] = b"head";

/// What happened. The names are stored; never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum EventKind {
    /// A referral was started (client data entered).
    Created,
    /// The five points were explained to the client.
    Explained,
    Consented,
    Refused,
    Packaged,
    PasswordPassed,
    /// The partner's mail server accepted the package, or the worker confirmed sending it.
    Sent,
    /// The partner's mail server refused the package for good.
    Failed,
    /// A package was taken out of the outbox before it went out (withdrawal before sending).
    Cancelled,
    Withdrawn,
    Corrected,
    /// The client's data of a referral were wiped.
    Purged,
    /// A package went to the wrong mailbox (a data breach, GDPR art. 33).
    Incident,
    /// The team's mail server could not be reached for a package (no network, server down).
    Unreachable,
    /// A package came back: the partner's mail server did not deliver it.
    Bounced,
    /// The partner confirmed the package arrived (the worker's tick, a read receipt or a reply).
    Received,
    /// A package's archive and password were destroyed after its receipt (004).
    Destroyed,
}

impl EventKind {
    pub const ALL: [Self; 17] = [
        Self::Created,
        Self::Explained,
        Self::Consented,
        Self::Refused,
        Self::Packaged,
        Self::PasswordPassed,
        Self::Sent,
        Self::Failed,
        Self::Cancelled,
        Self::Withdrawn,
        Self::Corrected,
        Self::Purged,
        Self::Incident,
        Self::Unreachable,
        Self::Bounced,
        Self::Received,
        Self::Destroyed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Explained => "explained",
            Self::Consented => "consented",
            Self::Refused => "refused",
            Self::Packaged => "packaged",
            Self::PasswordPassed => "password_passed",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Withdrawn => "withdrawn",
            Self::Corrected => "corrected",
            Self::Purged => "purged",
            Self::Incident => "incident",
            Self::Unreachable => "unreachable",
            Self::Bounced => "bounced",
            Self::Received => "received",
            Self::Destroyed => "destroyed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <HmacSha256 as hmac::Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    for part in parts {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// One stored event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Event {
    #[ts(type = "number")]
    pub seq: i64,
    pub kind: EventKind,
    pub at: String,
    pub recipient: String,
    pub reference: Option<String>,
    /// The package a send's event is about (its number in the store, nothing about the client):
    /// a referral can have several with the client's data, its corrections after the first,
    /// and the evaluation must know which one came back. None for other events, and for every
    /// event written before version 17.
    #[serde(skip)]
    #[ts(skip)]
    pub package: Option<i64>,
}

/// What is appended: an event before the chain gives it its place.
type NewEvent = (EventKind, String, String, Option<String>, Option<i64>);

impl Event {
    /// The event at `seq` in the chain, as written and as read back.
    fn new(seq: i64, (kind, at, recipient, reference, package): NewEvent) -> Self {
        Self {
            seq,
            kind,
            at,
            recipient,
            reference,
            package,
        }
    }
}

fn link(key: &LedgerKey, prev: &[u8; 32], event: &Event) -> [u8; 32] {
    let seq = event.seq.to_be_bytes();
    let package = event.package.map(i64::to_be_bytes);
    let mut parts: Vec<&[u8]> = vec![
        LINK_LABEL,
        prev,
        &seq,
        event.kind.as_str().as_bytes(),
        event.at.as_bytes(),
        event.recipient.as_bytes(),
        // Absent and empty must hash differently.
        match &event.reference {
            Some(r) => r.as_bytes(),
            None => &[0xff],
        },
    ];
    // A package is one part more, so the links of events that name none, all those written
    // before version 17 among them, are what they always were.
    if let Some(package) = &package {
        parts.push(package);
    }
    hmac(key.bytes(), &parts)
}

fn head_mac(key: &LedgerKey, seq: i64, hash: &[u8; 32]) -> [u8; 32] {
    hmac(key.bytes(), &[HEAD_LABEL, &seq.to_be_bytes(), hash])
}

/// Appends an event, inside the caller's transaction if there is one.
pub(crate) fn append(
    conn: &Connection,
    key: &LedgerKey,
    kind: EventKind,
    at: &str,
    recipient: &str,
    reference: Option<&str>,
    package: Option<i64>,
) -> Result<(), StoreError> {
    append_all(
        conn,
        key,
        [(
            kind,
            at.to_owned(),
            recipient.to_owned(),
            reference.map(str::to_owned),
            package,
        )],
        Tally::Keep,
    )
}

/// Whether appending also keeps the evaluation's tallies (see [`Tallies`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tally {
    Keep,
    /// Only while migration 7 moves old events into the chain: [`count_tallies`] counts them
    /// right after, with every other event of that older store.
    Skip,
}

/// Links `events` onto the chain in order, seals the new head once, and adds them to the tallies.
fn append_all(
    conn: &Connection,
    key: &LedgerKey,
    events: impl IntoIterator<Item = NewEvent>,
    tally: Tally,
) -> Result<(), StoreError> {
    let head: Option<(i64, Vec<u8>)> = conn
        .query_row("SELECT seq, hash FROM ledger_head WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let (mut seq, mut prev) = match head {
        Some((seq, hash)) => (
            seq,
            to_hash(&hash).ok_or(StoreError::Sqlite(
                "de kop van het logboek is beschadigd".into(),
            ))?,
        ),
        None => (0, [0u8; 32]),
    };
    let mut tallies = Tallies::default();
    let mut insert = conn.prepare_cached(
        "INSERT INTO ledger (seq, kind, at, recipient, reference, package, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for new in events {
        seq += 1;
        let event = Event::new(seq, new);
        prev = link(key, &prev, &event);
        insert.execute(rusqlite::params![
            seq,
            event.kind.as_str(),
            event.at,
            event.recipient,
            event.reference,
            event.package,
            prev.as_slice()
        ])?;
        if tally == Tally::Keep {
            tallies.add(&event, Some(conn))?;
        }
    }
    conn.execute(
        "INSERT INTO ledger_head (id, seq, hash, mac) VALUES (1, ?1, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,
           mac = excluded.mac",
        rusqlite::params![seq, prev.as_slice(), head_mac(key, seq, &prev).as_slice()],
    )?;
    if tally == Tally::Keep {
        tallies.write(conn)?;
    }
    Ok(())
}

/// What became of a consent, as the evaluation counts it: each referral with consent is in one
/// of these, so the consents of a period add up exactly to what became of them. The referral's
/// own events move it on, in the order they happened; nothing else does. The names are stored;
/// never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Outcome {
    /// On its way: queued, a draft for the mail program, possibly sent, or to be retried.
    Waiting,
    /// A package with the client's data (the referral, or a correction) reached the partner's
    /// mail server, or the worker confirmed it, and did not come back.
    Sent,
    /// Refused for good by the mail server, given up on, or come back, and not sent since.
    Failed,
    /// Withdrawn before a send was confirmed.
    WithdrawnUnsent,
    /// Withdrawn after the package was sent.
    WithdrawnSent,
}

impl Outcome {
    pub const ALL: [Self; 5] = [
        Self::Waiting,
        Self::Sent,
        Self::Failed,
        Self::WithdrawnUnsent,
        Self::WithdrawnSent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::WithdrawnUnsent => "withdrawn_unsent",
            Self::WithdrawnSent => "withdrawn_sent",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == text)
    }

    /// Where a consent stands after an event of `kind`, `reached` telling whether one of the
    /// referral's packages is still with the partner as far as anyone knows. A failed package
    /// that is sent after all counts as sent; a withdrawal settles the referral for good; a
    /// correction or a withdrawal notice changes nothing.
    fn after(self, kind: EventKind, reached: bool) -> Self {
        match (self, kind) {
            (Self::Waiting | Self::Failed, EventKind::Sent) => Self::Sent,
            (Self::Waiting, EventKind::Failed | EventKind::Cancelled) => Self::Failed,
            // The mail came back: it did not reach the partner after all, unless another
            // package with the client's data did (the original, when its correction bounced).
            (Self::Sent, EventKind::Bounced) if !reached => Self::Failed,
            (Self::Waiting | Self::Failed, EventKind::Withdrawn) => Self::WithdrawnUnsent,
            (Self::Sent, EventKind::Withdrawn) => Self::WithdrawnSent,
            (outcome, _) => outcome,
        }
    }
}

/// One referral with consent, as the evaluation reads it: its partner, the day of consent, the
/// day its package was first sent (not that of a later withdrawal notice), and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Span {
    recipient: String,
    consented_on: String,
    first_sent_on: Option<String>,
    outcome: Outcome,
    /// The referral's packages that were sent and did not come back. None stands for those
    /// sent before events named their package (version 17).
    reached: BTreeSet<Option<i64>>,
}

impl Span {
    fn apply(&mut self, event: &Event, day: &str) {
        if matches!(
            self.outcome,
            Outcome::WithdrawnSent | Outcome::WithdrawnUnsent
        ) {
            // Settled for good: what the withdrawal notice does changes nothing.
            return;
        }
        let kind = event.kind;
        match kind {
            EventKind::Sent => {
                self.reached.insert(event.package);
            }
            EventKind::Bounced => {
                // A package sent before events named theirs is one of the unnamed.
                let back = if self.reached.contains(&event.package) {
                    event.package
                } else {
                    None
                };
                self.reached.remove(&back);
            }
            _ => {}
        }
        let next = self.outcome.after(kind, !self.reached.is_empty());
        if next == Outcome::Sent && self.outcome != Outcome::Sent {
            self.first_sent_on.get_or_insert_with(|| day.to_owned());
        }
        self.outcome = next;
    }
}

/// What the yearly evaluation reads instead of the whole chain: how many events of each kind
/// each partner had each day, and per referral with consent its [`Span`].
///
/// A year of a busy ledger is a million rows that SQLCipher would decrypt page by page; these
/// tables hold a few thousand. They are written only here, in the same transaction as the events
/// they count, and [`verify`] recounts them from the chain, so they cannot drift unnoticed.
#[derive(Debug, Default, PartialEq, Eq)]
struct Tallies {
    /// (day, recipient, kind) → events.
    days: BTreeMap<(String, String, &'static str), i64>,
    /// reference → its span, as the events so far leave it.
    spans: BTreeMap<String, Span>,
    /// A stored span that cannot be read (no consent, an unknown outcome): never what a recount
    /// makes, so the check reports it.
    unreadable: bool,
}

impl Tallies {
    /// Counts `event`. Appending to a stored ledger passes its connection, so a referral's span
    /// goes on from where the stored one stands; a recount from the first event passes none.
    fn add(&mut self, event: &Event, stored: Option<&Connection>) -> Result<(), StoreError> {
        let day = event.at.get(..10).unwrap_or(&event.at).to_owned();
        *self
            .days
            .entry((day.clone(), event.recipient.clone(), event.kind.as_str()))
            .or_default() += 1;
        let Some(reference) = &event.reference else {
            return Ok(());
        };
        if !self.spans.contains_key(reference)
            && let Some(conn) = stored
            && let Some(span) = stored_span(conn, reference)?
        {
            self.spans.insert(reference.clone(), span);
        }
        match self.spans.get_mut(reference) {
            Some(span) => span.apply(event, &day),
            None if event.kind == EventKind::Consented => {
                self.spans.insert(
                    reference.clone(),
                    Span {
                        recipient: event.recipient.clone(),
                        consented_on: day,
                        first_sent_on: None,
                        outcome: Outcome::Waiting,
                        reached: BTreeSet::new(),
                    },
                );
            }
            None => {}
        }
        Ok(())
    }

    fn write(&self, conn: &Connection) -> Result<(), StoreError> {
        let mut day = conn.prepare_cached(
            "INSERT INTO ledger_tally (day, recipient, kind, n) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (day, recipient, kind) DO UPDATE SET n = n + excluded.n",
        )?;
        for ((d, recipient, kind), n) in &self.days {
            day.execute((d, recipient, kind, n))?;
        }
        let mut span = conn.prepare_cached(
            "INSERT INTO ledger_span
               (reference, recipient, consented_on, first_sent_on, outcome, reached)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (reference) DO UPDATE SET
               consented_on = excluded.consented_on,
               first_sent_on = excluded.first_sent_on,
               outcome = excluded.outcome,
               reached = excluded.reached",
        )?;
        for (reference, s) in &self.spans {
            span.execute((
                reference,
                &s.recipient,
                &s.consented_on,
                &s.first_sent_on,
                s.outcome.as_str(),
                reached_text(&s.reached),
            ))?;
        }
        Ok(())
    }

    /// The tallies as stored.
    fn stored(conn: &Connection) -> Result<Self, StoreError> {
        let mut tallies = Self::default();
        let mut stmt = conn.prepare("SELECT day, recipient, kind, n FROM ledger_tally")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let kind: String = r.get(2)?;
            // An unknown kind cannot match anything the chain holds: the check reports it.
            let kind = EventKind::parse(&kind).map_or("?", EventKind::as_str);
            tallies.days.insert((r.get(0)?, r.get(1)?, kind), r.get(3)?);
        }
        let mut stmt = conn.prepare(
            "SELECT reference, recipient, consented_on, first_sent_on, outcome, reached
             FROM ledger_span",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            match span_of(r, 1)? {
                Some(span) => {
                    tallies.spans.insert(r.get(0)?, span);
                }
                None => tallies.unreadable = true,
            }
        }
        Ok(tallies)
    }
}

/// The tallies of `kinds` from the day `from` up to (not including) `until`, summed per partner,
/// kind and month ("2026-11"): what the yearly counts read, a few thousand rows at most.
pub fn monthly_tallies(
    conn: &Connection,
    from: &str,
    until: &str,
    kinds: &[EventKind],
) -> Result<Vec<MonthTally>, LedgerError> {
    let kinds: Vec<String> = kinds.iter().map(|k| format!("'{}'", k.as_str())).collect();
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT recipient, kind, substr(day, 1, 7), sum(n) FROM ledger_tally
             WHERE day >= ?1 AND day < ?2 AND kind IN ({})
             GROUP BY recipient, kind, substr(day, 1, 7)",
            kinds.join(", ")
        ))
        .map_err(StoreError::from)?;
    let rows = stmt
        .query_map((from, until), |r| {
            Ok((r.get(0)?, r.get::<_, String>(1)?, r.get(2)?, r.get(3)?))
        })
        .map_err(StoreError::from)?;
    rows.map(|row| {
        let (recipient, kind, month, n) = row.map_err(StoreError::from)?;
        Ok(MonthTally {
            recipient,
            kind: EventKind::parse(&kind).ok_or(LedgerError::UnknownKind(kind))?,
            month,
            n,
        })
    })
    .collect()
}

/// One row of [`monthly_tallies`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthTally {
    pub recipient: String,
    pub kind: EventKind,
    pub month: String,
    pub n: u32,
}

/// The consents from the day `from` up to `until`, counted per partner, month of the consent,
/// outcome and, for those sent, days from the consent to its first send: one pass over the
/// covering index. A consent whose only package came back was sent once, but is not among the
/// sent whose days the median takes.
pub fn monthly_spans(
    conn: &Connection,
    from: &str,
    until: &str,
) -> Result<Vec<MonthSpans>, LedgerError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT recipient, substr(consented_on, 1, 7), outcome,
                    CASE WHEN outcome IN ('sent', 'withdrawn_sent') THEN max(0,
                      CAST(julianday(first_sent_on) - julianday(consented_on) AS INTEGER)) END,
                    count(*)
             FROM ledger_span
             WHERE consented_on >= ?1 AND consented_on < ?2
             GROUP BY 1, 2, 3, 4",
        )
        .map_err(StoreError::from)?;
    let rows = stmt
        .query_map((from, until), |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get(3)?,
                r.get(4)?,
            ))
        })
        .map_err(StoreError::from)?;
    rows.map(|row| {
        let (recipient, month, outcome, days_to_send, n) = row.map_err(StoreError::from)?;
        Ok(MonthSpans {
            recipient,
            month,
            outcome: outcome
                .as_deref()
                .and_then(Outcome::parse)
                .ok_or_else(|| LedgerError::UnknownKind(outcome.unwrap_or_default()))?,
            days_to_send,
            n,
        })
    })
    .collect()
}

/// One row of [`monthly_spans`]: `n` consents alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthSpans {
    pub recipient: String,
    pub month: String,
    pub outcome: Outcome,
    pub days_to_send: Option<u32>,
    pub n: u32,
}

/// The stored span of `reference`, if it has one.
fn stored_span(conn: &Connection, reference: &str) -> Result<Option<Span>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT recipient, consented_on, first_sent_on, outcome, reached FROM ledger_span
         WHERE reference = ?1",
    )?;
    let mut rows = stmt.query([reference])?;
    match rows.next()? {
        Some(r) => Ok(span_of(r, 0)?),
        None => Ok(None),
    }
}

/// A span from its five columns, starting at `first`. A row without consent, with an unknown
/// outcome or unreadable packages is none: the check then finds the tallies wrong.
fn span_of(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Option<Span>> {
    let consented_on: Option<String> = r.get(first + 1)?;
    let outcome: Option<String> = r.get(first + 3)?;
    let reached: String = r.get(first + 4)?;
    Ok(
        match (
            consented_on,
            outcome.as_deref().and_then(Outcome::parse),
            reached_of(&reached),
        ) {
            (Some(consented_on), Some(outcome), Some(reached)) => Some(Span {
                recipient: r.get(first)?,
                consented_on,
                first_sent_on: r.get(first + 2)?,
                outcome,
                reached,
            }),
            _ => None,
        },
    )
}

/// A span's packages as stored: "12,15"; "?" for one sent before events named theirs.
fn reached_text(reached: &BTreeSet<Option<i64>>) -> String {
    reached
        .iter()
        .map(|p| p.map_or_else(|| "?".to_owned(), |p| p.to_string()))
        .collect::<Vec<_>>()
        .join(",")
}

fn reached_of(text: &str) -> Option<BTreeSet<Option<i64>>> {
    if text.is_empty() {
        return Some(BTreeSet::new());
    }
    text.split(',')
        .map(|p| match p {
            "?" => Some(None),
            p => p.parse().ok().map(Some),
        })
        .collect()
}

/// Records an event of the referral `reference` to `recipient`.
pub(crate) fn record_referral(
    store: &Store,
    kind: EventKind,
    at: DateTime<FixedOffset>,
    recipient: &Recipient,
    reference: &Reference,
) -> Result<(), StoreError> {
    record(store, kind, at, &recipient.key(), Some(reference.as_str()))
}

/// Records an event in the store's ledger.
pub(crate) fn record(
    store: &Store,
    kind: EventKind,
    at: DateTime<FixedOffset>,
    recipient: &str,
    reference: Option<&str>,
) -> Result<(), StoreError> {
    append(
        store.conn(),
        store.ledger_key(),
        kind,
        &at.to_rfc3339(),
        recipient,
        reference,
        None,
    )
}

/// Records what happened to the package `package` of the referral `reference`: sent, come
/// back, received, taken out.
pub(crate) fn record_package(
    store: &Store,
    kind: EventKind,
    at: DateTime<FixedOffset>,
    recipient: &str,
    reference: &str,
    package: i64,
) -> Result<(), StoreError> {
    append(
        store.conn(),
        store.ledger_key(),
        kind,
        &at.to_rfc3339(),
        recipient,
        Some(reference),
        Some(package),
    )
}

/// Appends many events in one transaction, chained like any other. For benchmarks, which need a
/// ledger of a size no worker reaches by hand; the app records each step as it happens.
#[doc(hidden)]
pub fn append_many(
    store: &Store,
    events: impl IntoIterator<Item = (EventKind, String, String, Option<String>)>,
) -> Result<(), StoreError> {
    let tx = store.conn().unchecked_transaction()?;
    for (kind, at, recipient, reference) in events {
        append(
            &tx,
            store.ledger_key(),
            kind,
            &at,
            &recipient,
            reference.as_deref(),
            None,
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// The migrations' steps that need the ledger's code: the store runs them in the migration's
/// transaction, for a store older than their version.
pub const UPGRADES: &[Upgrade] = &[
    Upgrade {
        version: 7,
        run: adopt_unchained,
    },
    Upgrade {
        version: 8,
        run: count_tallies_upgrade,
    },
    // Version 11 keeps each consent's outcome, and 17 the packages that reached the partner
    // beside it: counted anew from the whole chain.
    Upgrade {
        version: 11,
        run: count_tallies_upgrade,
    },
    Upgrade {
        version: 17,
        run: count_tallies_upgrade,
    },
];

fn count_tallies_upgrade(conn: &Connection, _: &LedgerKey) -> Result<(), StoreError> {
    count_tallies(conn)
}

/// Counts the tallies of every event in the chain anew. Part of the migration that added them.
pub(crate) fn count_tallies(conn: &Connection) -> Result<(), StoreError> {
    let mut tallies = Tallies::default();
    let mut stmt = conn
        .prepare("SELECT seq, kind, at, recipient, reference, package FROM ledger ORDER BY seq")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (seq, kind, at, recipient, reference, package) = event_columns(r)?;
        let kind = EventKind::parse(&kind)
            .ok_or_else(|| StoreError::Sqlite(format!("onbekende gebeurtenis {kind}")))?;
        tallies.add(
            &Event::new(seq, (kind, at, recipient, reference, package)),
            None,
        )?;
    }
    conn.execute_batch("DELETE FROM ledger_tally; DELETE FROM ledger_span;")?;
    tallies.write(conn)
}

/// Moves the events of a store older than the ledger into the chain, in their order, and drops
/// the old table. Part of migration 7's transaction.
pub(crate) fn adopt_unchained(conn: &Connection, key: &LedgerKey) -> Result<(), StoreError> {
    let exists: bool = conn.query_row(
        "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'event'",
        [],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(());
    }
    let rows: Vec<(String, String, String, Option<String>)> = conn
        .prepare("SELECT kind, at, recipient, reference FROM event ORDER BY id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    for (kind, at, recipient, reference) in rows {
        let kind = EventKind::parse(&kind)
            .ok_or_else(|| StoreError::Sqlite(format!("onbekende gebeurtenis {kind}")))?;
        append_all(
            conn,
            key,
            [(kind, at, recipient, reference, None)],
            Tally::Skip,
        )?;
    }
    conn.execute_batch("DROP TABLE event;")?;
    Ok(())
}

fn to_hash(bytes: &[u8]) -> Option<[u8; 32]> {
    bytes.try_into().ok()
}

/// What "controleer logboek" found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ChainCheck {
    #[ts(type = "number")]
    pub events: i64,
    pub intact: bool,
    /// The first event that does not fit, counted from 1.
    #[ts(type = "number | null")]
    pub broken_at: Option<i64>,
    /// In Dutch: what is wrong there.
    pub problem: Option<String>,
    /// The last link, in hex: a supervisor compares it with the one in the worker's count file.
    pub head: Option<String>,
}

impl ChainCheck {
    fn broken(events: i64, at: i64, problem: String) -> Self {
        Self {
            events,
            intact: false,
            broken_at: Some(at),
            problem: Some(problem),
            head: None,
        }
    }
}

/// Walks the chain from the first event and says where, if anywhere, it breaks.
pub fn verify(store: &Store) -> Result<ChainCheck, LedgerError> {
    verify_with(store.conn(), store.ledger_key())
}

fn verify_with(conn: &Connection, key: &LedgerKey) -> Result<ChainCheck, LedgerError> {
    let mut stmt = conn
        .prepare(
            "SELECT seq, kind, at, recipient, reference, package, hash FROM ledger ORDER BY seq",
        )
        .map_err(StoreError::from)?;
    let rows = stmt
        .query_map([], |r| Ok((event_columns(r)?, r.get::<_, Vec<u8>>(6)?)))
        .map_err(StoreError::from)?;
    let mut prev = [0u8; 32];
    let mut tallies = Tallies::default();
    let mut expected = 1i64;
    let mut count = 0i64;
    for row in rows {
        let ((seq, kind, at, recipient, reference, package), hash) =
            row.map_err(StoreError::from)?;
        count += 1;
        if seq != expected {
            return Ok(ChainCheck::broken(
                count,
                expected,
                format!(
                    "Gebeurtenis {expected} ontbreekt: na {} volgt {seq}.",
                    expected - 1
                ),
            ));
        }
        let Some(kind) = EventKind::parse(&kind) else {
            return Ok(ChainCheck::broken(
                count,
                seq,
                format!("Gebeurtenis {seq} heeft een onbekend soort ({kind})."),
            ));
        };
        let event = Event::new(seq, (kind, at, recipient, reference, package));
        let computed = link(key, &prev, &event);
        if to_hash(&hash) != Some(computed) {
            return Ok(ChainCheck::broken(
                count,
                seq,
                format!(
                    "Gebeurtenis {seq} is gewijzigd, verplaatst of ingevoegd: haar controlecode \
                     klopt niet."
                ),
            ));
        }
        prev = computed;
        tallies.add(&event, None)?;
        expected += 1;
    }
    let last = expected - 1;
    let head: Option<(i64, Vec<u8>, Vec<u8>)> = conn
        .query_row(
            "SELECT seq, hash, mac FROM ledger_head WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(StoreError::from)?;
    let Some((head_seq, head_hash, mac)) = head else {
        if last == 0 {
            return Ok(ChainCheck {
                events: 0,
                intact: true,
                broken_at: None,
                problem: None,
                head: None,
            });
        }
        return Ok(ChainCheck::broken(
            count,
            last,
            "Het zegel van het logboek ontbreekt.".into(),
        ));
    };
    let sealed = to_hash(&head_hash)
        .is_some_and(|h| to_hash(&mac).is_some_and(|m| head_mac(key, head_seq, &h) == m));
    if !sealed {
        return Ok(ChainCheck::broken(
            count,
            head_seq.max(1),
            "Het zegel van het logboek is gewijzigd.".into(),
        ));
    }
    if head_seq > last {
        return Ok(ChainCheck::broken(
            count,
            last + 1,
            format!(
                "Gebeurtenissen {} tot {head_seq} ontbreken aan het einde van het logboek.",
                last + 1
            ),
        ));
    }
    if head_seq < last || to_hash(&head_hash) != Some(prev) {
        return Ok(ChainCheck::broken(
            count,
            head_seq + 1,
            format!(
                "Gebeurtenis {} werd buiten Aanmelder om toegevoegd.",
                head_seq + 1
            ),
        ));
    }
    if Tallies::stored(conn)? != tallies {
        return Ok(ChainCheck::broken(
            count,
            last,
            "De tellingen voor de evaluatie kloppen niet met het logboek: ze werden buiten \
             Aanmelder om gewijzigd."
                .into(),
        ));
    }
    Ok(ChainCheck {
        events: count,
        intact: true,
        broken_at: None,
        problem: None,
        head: Some(hex::encode(prev)),
    })
}

/// How many events of each kind each partner had on the days `from..=to` (local dates): the raw
/// material of the yearly evaluation.
pub fn tally(
    store: &Store,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<BTreeMap<(String, EventKind), u32>, LedgerError> {
    let mut stmt = store
        .conn()
        .prepare(
            "SELECT recipient, kind, count(*) FROM ledger
             WHERE substr(at, 1, 10) BETWEEN ?1 AND ?2 GROUP BY recipient, kind",
        )
        .map_err(StoreError::from)?;
    let rows = stmt
        .query_map((from.to_string(), to.to_string()), |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?))
        })
        .map_err(StoreError::from)?;
    let mut counts = BTreeMap::new();
    for row in rows {
        let (recipient, kind, n) = row.map_err(StoreError::from)?;
        let kind = EventKind::parse(&kind).ok_or(LedgerError::UnknownKind(kind))?;
        counts.insert((recipient, kind), n);
    }
    Ok(counts)
}

/// An event as the log screen shows it: with its partner's name, not its key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ListedEvent {
    #[serde(flatten)]
    pub event: Event,
    /// "OCMW Westerlo"; the key itself for a partner the gazetteer does not know.
    pub partner: String,
}

/// The events, newest first, with their partners' names.
pub fn recent_named(
    store: &Store,
    gazetteer: &crate::residence::Gazetteer,
    limit: u32,
) -> Result<Vec<ListedEvent>, LedgerError> {
    Ok(recent(store, limit)?
        .into_iter()
        .map(|event| ListedEvent {
            partner: Recipient::from_key(&event.recipient)
                .map_or_else(|| event.recipient.clone(), |r| gazetteer.recipient_name(&r)),
            event,
        })
        .collect())
}

/// The events, newest first, for the log screen.
pub fn recent(store: &Store, limit: u32) -> Result<Vec<Event>, LedgerError> {
    let mut stmt = store
        .conn()
        .prepare(
            "SELECT seq, kind, at, recipient, reference, package FROM ledger
             ORDER BY seq DESC LIMIT ?1",
        )
        .map_err(StoreError::from)?;
    let rows = stmt
        .query_map([limit], event_columns)
        .map_err(StoreError::from)?;
    let mut events = Vec::new();
    for row in rows {
        let (seq, kind, at, recipient, reference, package) = row.map_err(StoreError::from)?;
        let kind = EventKind::parse(&kind).ok_or(LedgerError::UnknownKind(kind))?;
        events.push(Event::new(seq, (kind, at, recipient, reference, package)));
    }
    Ok(events)
}

/// An event's stored columns, `seq, kind, at, recipient, reference, package` first in the
/// query; the kind still as text, for the caller to say what an unknown one means.
type EventColumns = (i64, String, String, String, Option<String>, Option<i64>);

fn event_columns(r: &rusqlite::Row<'_>) -> rusqlite::Result<EventColumns> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

/// Why the ledger could not be read.
#[derive(Debug, thiserror::Error, Coded)]
#[coded(prefix = "ledger")]
pub enum LedgerError {
    #[error(
        "Het logboek bevat een onbekend soort gebeurtenis ({0}). Controleer het logboek en neem \
         contact op met je ICT-ondersteuning."
    )]
    UnknownKind(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests;
