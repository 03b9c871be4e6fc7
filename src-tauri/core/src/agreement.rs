//! The agreement register: with which OCMWs (and CAWs) the team may share, and until when.
//!
//! Sharing is lawful only under a signed cooperation agreement and a data-sharing protocol in
//! force on the day of sending (domain.md, "Frequency and duration"). The only way to obtain an
//! [`ActiveProtocol`], which a referral needs to become ready to send, is
//! [`Agreement::in_force_on`]: a referral to a partner without a protocol in force cannot be
//! expressed.
//!
//! The register is evidence, so it keeps its history: every save is a new version (the JSON the
//! app wrote, in `agreement_version`), a consent records the version and the SHA-256 of its text,
//! and a partner a consent relied on can only be ended ("stopzetten"), never deleted. A trigger in
//! the schema refuses the delete too, whatever code tries it.

use chrono::{DateTime, FixedOffset, Months, NaiveDate};
use rusqlite::{OptionalExtension as _, Row};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use ts_rs::TS;

use crate::error::Coded;
use crate::residence::{Gazetteer, Recipient};
use crate::store::{Store, StoreError};

/// How packages reach a partner.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Delivery {
    /// Through the team's mail server, by the outbox.
    #[default]
    Smtp,
    /// As a ready draft (.eml) the worker sends from their own mail program.
    MailProgram,
}

impl Delivery {
    fn as_str(self) -> &'static str {
        match self {
            Self::Smtp => "smtp",
            Self::MailProgram => "mail_program",
        }
    }
}

/// An entry of the register as the form sends it: text as typed, dates as `YYYY-MM-DD`. Also
/// what a team profile carries and what a version of the register keeps; fields added later
/// default, so older profiles and versions still read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AgreementInput {
    /// `ocmw:<REFNIS>` or `caw:brussel`.
    pub recipient_key: String,
    pub name: String,
    pub kbo: String,
    pub mailbox: String,
    pub dpo_email: String,
    pub password_phone: String,
    pub agreement_date: String,
    pub protocol_from: String,
    /// End date agreed in the protocol; empty while the protocol runs indefinitely.
    pub protocol_until: String,
    pub delivery: Delivery,
    /// Notice period in months, as typed; empty when the protocol names none.
    #[serde(default)]
    pub notice_months: String,
    /// The day either party gave notice; with the notice period it sets the end date.
    #[serde(default)]
    pub notice_given_on: String,
    /// When our DPO gave advice on the protocol.
    #[serde(default)]
    pub dpo_advice_ours: String,
    /// When the partner's DPO gave advice.
    #[serde(default)]
    pub dpo_advice_theirs: String,
    /// Names and numbers of the contact persons at the partner (staff, never clients).
    #[serde(default)]
    pub contacts: String,
    /// 12 or 6: how often the cooperation is evaluated.
    #[serde(default = "yearly")]
    pub evaluation_months: u8,
    /// The day of the last evaluation; empty before the first.
    #[serde(default)]
    pub last_evaluation: String,
}

fn yearly() -> u8 {
    12
}

impl Default for AgreementInput {
    fn default() -> Self {
        Self {
            recipient_key: String::new(),
            name: String::new(),
            kbo: String::new(),
            mailbox: String::new(),
            dpo_email: String::new(),
            password_phone: String::new(),
            agreement_date: String::new(),
            protocol_from: String::new(),
            protocol_until: String::new(),
            delivery: Delivery::default(),
            notice_months: String::new(),
            notice_given_on: String::new(),
            dpo_advice_ours: String::new(),
            dpo_advice_theirs: String::new(),
            contacts: String::new(),
            evaluation_months: yearly(),
            last_evaluation: String::new(),
        }
    }
}

/// A register entry as the partner screen lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ListedAgreement {
    #[serde(flatten)]
    pub agreement: Agreement,
    /// Its protocol is in force today.
    pub in_force: bool,
}

/// A partner in the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Agreement {
    #[ts(type = "number")]
    pub id: i64,
    pub recipient: Recipient,
    pub municipality_code: Option<String>,
    pub name: String,
    /// KBO/BCE enterprise number as `0212.181.956`.
    pub kbo: String,
    pub mailbox: String,
    pub dpo_email: String,
    /// E.164; the number the worker calls to pass a package's password.
    pub password_phone: String,
    #[ts(type = "string")]
    pub agreement_date: NaiveDate,
    #[ts(type = "string")]
    pub protocol_from: NaiveDate,
    /// The end date the protocol itself names.
    #[ts(type = "string | null")]
    pub protocol_until: Option<NaiveDate>,
    pub notice_months: Option<u8>,
    #[ts(type = "string | null")]
    pub notice_given_on: Option<NaiveDate>,
    #[ts(type = "string | null")]
    pub dpo_advice_ours: Option<NaiveDate>,
    #[ts(type = "string | null")]
    pub dpo_advice_theirs: Option<NaiveDate>,
    pub contacts: String,
    pub evaluation_months: u8,
    #[ts(type = "string | null")]
    pub last_evaluation: Option<NaiveDate>,
    /// The last day sharing is allowed: the protocol's end date or the end of the notice,
    /// whichever comes first.
    #[ts(type = "string | null")]
    pub ends_on: Option<NaiveDate>,
    /// When the next evaluation is due: the last one (or the start) plus the interval.
    #[ts(type = "string")]
    pub next_evaluation: NaiveDate,
    /// The day the team ended the partner ("stopzetten").
    #[ts(type = "string | null")]
    pub stopped_on: Option<NaiveDate>,
    /// Shipped example entry with mailboxes on a reserved domain; only in the demo store.
    pub demo: bool,
    pub delivery: Delivery,
    /// The number of the current version; every save adds one.
    #[ts(type = "number")]
    pub version: i64,
    /// SHA-256 of the current version's text, as a consent records it.
    pub version_sha256: String,
    /// A consent relied on this partner: it can be ended, not deleted.
    pub used: bool,
}

/// Proof that a protocol with `recipient` was in force on `on`. Only [`Agreement::in_force_on`]
/// makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveProtocol {
    agreement_id: i64,
    version: i64,
    version_sha256: String,
    recipient: Recipient,
    on: NaiveDate,
}

impl ActiveProtocol {
    pub fn agreement_id(&self) -> i64 {
        self.agreement_id
    }
    /// The version of the register entry this proof was made from.
    pub fn version(&self) -> i64 {
        self.version
    }
    pub fn version_sha256(&self) -> &str {
        &self.version_sha256
    }
    pub fn recipient(&self) -> &Recipient {
        &self.recipient
    }
    pub fn on(&self) -> NaiveDate {
        self.on
    }
}

/// A partner the worker can choose for a client in Brussels, where several CAWs may have a
/// protocol in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PartnerChoice {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
}

/// One saved state of a partner, for the history on the partner screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct AgreementVersion {
    #[ts(type = "number")]
    pub version: i64,
    pub saved_at: String,
    pub entry: AgreementInput,
    /// The day the partner was ended, in this version; empty if it was not.
    pub stopped_on: String,
    pub sha256: String,
    /// How many consents relied on this version.
    #[ts(type = "number")]
    pub consents: i64,
}

/// When a partner in force is next evaluated with, for the home screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct NextEvaluation {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    #[ts(type = "string")]
    pub next_evaluation: NaiveDate,
    /// Within the coming 30 days, or overdue.
    pub due: bool,
    pub overdue: bool,
}

/// What a version keeps: the entry as saved, and whether it was ended.
#[derive(Debug, Serialize, Deserialize)]
struct VersionBody {
    #[serde(flatten)]
    entry: AgreementInput,
    #[serde(default)]
    stopped_on: String,
}

impl Agreement {
    /// The first day data may go under this agreement: its protocol in force and its agreement
    /// signed.
    pub fn starts_on(&self) -> NaiveDate {
        starts_on(self.protocol_from, self.agreement_date)
    }

    /// The proof that this agreement's protocol is in force on `day`, or why not.
    pub fn in_force_on(&self, day: NaiveDate) -> Result<ActiveProtocol, AgreementError> {
        let from = self.starts_on();
        if day < from {
            return Err(AgreementError::NotYetInForce {
                partner: self.name.clone(),
                from,
            });
        }
        if let Some(until) = self.ends_on
            && day > until
        {
            return Err(AgreementError::Ended {
                partner: self.name.clone(),
                until,
            });
        }
        Ok(ActiveProtocol {
            agreement_id: self.id,
            version: self.version,
            version_sha256: self.version_sha256.clone(),
            recipient: self.recipient.clone(),
            on: day,
        })
    }

    /// Every partner for `recipient`, the most recent protocol first.
    pub fn of_recipient(store: &Store, recipient: &Recipient) -> Result<Vec<Self>, StoreError> {
        let mut stmt = store.conn().prepare(&format!(
            "{SELECT} WHERE recipient = ?1 ORDER BY protocol_from DESC, id DESC"
        ))?;
        let rows: Vec<Self> = stmt
            .query_map([recipient.key()], from_row)?
            .collect::<Result<_, _>>()?;
        rows.into_iter().map(|a| a.with_use(store)).collect()
    }

    /// The partner for `recipient` that matters on `day`: the one in force, else the most recent.
    pub fn for_recipient(
        store: &Store,
        recipient: &Recipient,
        day: NaiveDate,
    ) -> Result<Option<Self>, StoreError> {
        let all = Self::of_recipient(store, recipient)?;
        let in_force = all.iter().position(|a| a.in_force_on(day).is_ok());
        Ok(match in_force {
            Some(i) => all.into_iter().nth(i),
            None => all.into_iter().next(),
        })
    }

    /// The partners for `recipient` with a protocol in force on `day`, for the worker to choose
    /// from when there is more than one.
    pub fn choices(
        store: &Store,
        recipient: &Recipient,
        day: NaiveDate,
    ) -> Result<Vec<PartnerChoice>, StoreError> {
        Ok(Self::of_recipient(store, recipient)?
            .into_iter()
            .filter(|a| a.in_force_on(day).is_ok())
            .map(|a| PartnerChoice {
                id: a.id,
                name: a.name,
            })
            .collect())
    }

    /// The protocol in force on `day` with the partner for `recipient` (the `chosen` one when
    /// several are), or a message naming the partner, the reason and whom to contact.
    pub fn active_for(
        store: &Store,
        gazetteer: &Gazetteer,
        recipient: &Recipient,
        chosen: Option<i64>,
        day: NaiveDate,
    ) -> Result<ActiveProtocol, AgreementError> {
        let all = Self::of_recipient(store, recipient)?;
        if let Some(id) = chosen {
            return all
                .iter()
                .find(|a| a.id == id)
                .ok_or(AgreementError::NotFound)?
                .in_force_on(day);
        }
        let mut in_force: Vec<ActiveProtocol> =
            all.iter().filter_map(|a| a.in_force_on(day).ok()).collect();
        match (in_force.len(), all.first()) {
            (1, _) => Ok(in_force.remove(0)),
            (0, Some(latest)) => latest.in_force_on(day),
            (0, None) => Err(AgreementError::NoAgreement {
                partner: gazetteer.recipient_name(recipient),
            }),
            _ => Err(AgreementError::Choose),
        }
    }

    /// The register as the partner screen lists it, each entry with whether its protocol is in
    /// force on `day` by [`Agreement::in_force_on`], so the screen does not decide it again.
    pub fn listed(store: &Store, day: NaiveDate) -> Result<Vec<ListedAgreement>, StoreError> {
        Ok(Self::list(store)?
            .into_iter()
            .map(|agreement| ListedAgreement {
                in_force: agreement.in_force_on(day).is_ok(),
                agreement,
            })
            .collect())
    }

    pub fn list(store: &Store) -> Result<Vec<Self>, StoreError> {
        let mut stmt = store.conn().prepare(&format!(
            "{SELECT} ORDER BY demo, stopped_on IS NOT NULL, name, protocol_from DESC"
        ))?;
        let rows: Vec<Self> = stmt.query_map([], from_row)?.collect::<Result<_, _>>()?;
        rows.into_iter().map(|a| a.with_use(store)).collect()
    }

    pub fn get(store: &Store, id: i64) -> Result<Self, AgreementError> {
        Ok(store
            .conn()
            .query_row(&format!("{SELECT} WHERE id = ?1"), [id], from_row)
            .optional()
            .map_err(StoreError::from)?
            .ok_or(AgreementError::NotFound)?
            .with_use(store)?)
    }

    /// Whether a consent relied on the entry, as the consent records say.
    fn with_use(mut self, store: &Store) -> Result<Self, StoreError> {
        self.used = crate::consent::count_relying_on(store.conn(), self.id, None)? > 0;
        Ok(self)
    }

    /// Adds (`id: None`) or edits an entry after validating every field; either way a new
    /// version is recorded.
    pub fn save(
        store: &Store,
        gazetteer: &Gazetteer,
        id: Option<i64>,
        input: AgreementInput,
        now: DateTime<FixedOffset>,
    ) -> Result<Self, AgreementError> {
        let v = validate(gazetteer, input)?;
        let current = id.map(|id| Self::get(store, id)).transpose()?;
        if let Some(current) = &current
            && current.used
            && current.recipient != v.recipient
        {
            return Err(AgreementError::Invalid(
                "recipient_key",
                "Partner: op deze overeenkomst steunde al een toestemming; de gemeente kan niet \
                 meer veranderen. Zet ze stop en voeg de nieuwe partner toe.",
            ));
        }
        // A stop is the supervisor's decision that nothing goes after that day: an edit (a
        // mailbox's typo) must not undo it by emptying or moving the end date.
        if let Some(current) = &current
            && current.stopped_on.is_some()
            && v.ends_on()
                .is_none_or(|end| current.ends_on.is_none_or(|last| end > last))
        {
            return Err(AgreementError::Invalid(
                "protocol_until",
                "Protocol loopt tot: deze partner is stopgezet, dus de einddatum kan niet leeg \
                 zijn of later komen. Is er een nieuw protocol, voeg de partner dan opnieuw toe.",
            ));
        }
        let clash = Self::of_recipient(store, &v.recipient)?
            .into_iter()
            .find(|other| {
                Some(other.id) != id
                    && !other.demo
                    && (v.recipient != Recipient::CawBrussel || other.kbo == v.kbo)
                    && other.ends_on.is_none_or(|end| end >= v.starts_on())
                    && v.ends_on().is_none_or(|end| end >= other.starts_on())
            });
        if clash.is_some() {
            return Err(AgreementError::Duplicate(
                gazetteer.recipient_name(&v.recipient),
            ));
        }
        let tx = store.transaction()?;
        let date = |d: Option<NaiveDate>| d.map(|d| d.to_string());
        let params = rusqlite::params![
            v.recipient.key(),
            &v.name,
            &v.kbo,
            &v.mailbox,
            &v.dpo_email,
            &v.password_phone,
            v.agreement_date.to_string(),
            v.protocol_from.to_string(),
            date(v.protocol_until),
            v.delivery.as_str(),
            v.notice_months,
            date(v.notice_given_on),
            date(v.dpo_advice_ours),
            date(v.dpo_advice_theirs),
            &v.contacts,
            v.evaluation_months,
            date(v.last_evaluation),
            id,
        ];
        let id = match id {
            Some(id) => {
                let changed = tx
                    .execute(
                        "UPDATE agreement SET recipient = ?1, name = ?2, kbo = ?3, mailbox = ?4,
                           dpo_email = ?5, password_phone = ?6, agreement_date = ?7,
                           protocol_from = ?8, protocol_until = ?9, delivery = ?10,
                           notice_months = ?11, notice_given_on = ?12, dpo_advice_ours = ?13,
                           dpo_advice_theirs = ?14, contacts = ?15, evaluation_months = ?16,
                           last_evaluation = ?17, version = version + 1
                         WHERE id = ?18",
                        params,
                    )
                    .map_err(StoreError::from)?;
                if changed == 0 {
                    return Err(AgreementError::NotFound);
                }
                id
            }
            None => {
                tx.execute(
                    // ?18 is NULL here: SQLite picks the new id.
                    "INSERT INTO agreement (recipient, name, kbo, mailbox, dpo_email,
                       password_phone, agreement_date, protocol_from, protocol_until, delivery,
                       notice_months, notice_given_on, dpo_advice_ours, dpo_advice_theirs,
                       contacts, evaluation_months, last_evaluation, id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                       ?16, ?17, ?18)",
                    params,
                )
                .map_err(StoreError::from)?;
                tx.last_insert_rowid()
            }
        };
        let saved = record_version(store, id, now)?;
        tx.commit()?;
        Ok(saved)
    }

    /// Ends the partner on `until` ("stopzetten"): no referral after that day, the record and
    /// its history stay.
    pub fn stop(
        store: &Store,
        id: i64,
        until: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<Self, AgreementError> {
        let current = Self::get(store, id)?;
        let until = crate::day::parse(until).ok_or(AgreementError::Invalid(
            "stop_until",
            "Laatste dag van het protocol: typ de laatste dag waarop nog gegevens mogen worden \
             doorgegeven, als dd/mm/jjjj.",
        ))?;
        if until < current.starts_on() {
            return Err(AgreementError::Invalid(
                "stop_until",
                "Laatste dag van het protocol: die ligt vóór de eerste dag van deze partner (het \
                 begin van het protocol, of de ondertekening van de overeenkomst als die later \
                 viel). Kies een latere datum.",
            ));
        }
        let until = current.protocol_until.map_or(until, |old| old.min(until));
        let tx = store.transaction()?;
        tx.execute(
            "UPDATE agreement SET protocol_until = ?2, stopped_on = ?3, version = version + 1
             WHERE id = ?1",
            (id, until.to_string(), now.date_naive().to_string()),
        )
        .map_err(StoreError::from)?;
        let saved = record_version(store, id, now)?;
        tx.commit()?;
        Ok(saved)
    }

    /// Every saved state of the partner, the newest first.
    pub fn history(store: &Store, id: i64) -> Result<Vec<AgreementVersion>, AgreementError> {
        let mut stmt = store
            .conn()
            .prepare(
                "SELECT version, saved_at, body
                 FROM agreement_version WHERE agreement_id = ?1 ORDER BY version DESC",
            )
            .map_err(StoreError::from)?;
        let rows = stmt
            .query_map([id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(StoreError::from)?;
        let mut versions = Vec::new();
        for row in rows {
            let (version, saved_at, body) = row.map_err(StoreError::from)?;
            let consents = crate::consent::count_relying_on(store.conn(), id, Some(version))?;
            let parsed: VersionBody = serde_json::from_str(&body)
                .map_err(|_| StoreError::Sqlite("onleesbare versie van het register".into()))?;
            versions.push(AgreementVersion {
                version,
                saved_at,
                sha256: hex::encode(Sha256::digest(body.as_bytes())),
                entry: parsed.entry,
                stopped_on: parsed.stopped_on,
                consents,
            });
        }
        Ok(versions)
    }

    /// The next evaluation with each partner in force on `today`, the earliest first; due when
    /// it falls within 30 days or has passed.
    pub fn next_evaluations(
        store: &Store,
        today: NaiveDate,
    ) -> Result<Vec<NextEvaluation>, StoreError> {
        let soon = today + chrono::Days::new(30);
        let mut next: Vec<NextEvaluation> = Self::list(store)?
            .into_iter()
            .filter(|a| a.in_force_on(today).is_ok())
            .map(|a| NextEvaluation {
                id: a.id,
                due: a.next_evaluation <= soon,
                overdue: a.next_evaluation < today,
                next_evaluation: a.next_evaluation,
                name: a.name,
            })
            .collect();
        next.sort_by_key(|e| e.next_evaluation);
        Ok(next)
    }

    /// The entry as the form (or a team profile) writes it.
    pub fn to_input(&self) -> AgreementInput {
        let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        AgreementInput {
            recipient_key: self.recipient.key(),
            name: self.name.clone(),
            kbo: self.kbo.clone(),
            mailbox: self.mailbox.clone(),
            dpo_email: self.dpo_email.clone(),
            password_phone: self.password_phone.clone(),
            agreement_date: self.agreement_date.to_string(),
            protocol_from: self.protocol_from.to_string(),
            protocol_until: date(self.protocol_until),
            delivery: self.delivery,
            notice_months: self
                .notice_months
                .map(|m| m.to_string())
                .unwrap_or_default(),
            notice_given_on: date(self.notice_given_on),
            dpo_advice_ours: date(self.dpo_advice_ours),
            dpo_advice_theirs: date(self.dpo_advice_theirs),
            contacts: self.contacts.clone(),
            evaluation_months: self.evaluation_months,
            last_evaluation: date(self.last_evaluation),
        }
    }

    /// Deletes a partner no consent relied on (one added by mistake); a used one can only be
    /// ended.
    pub fn delete(store: &Store, id: i64) -> Result<(), AgreementError> {
        let current = Self::get(store, id)?;
        if current.used {
            return Err(AgreementError::InUse(current.name));
        }
        let tx = store.transaction()?;
        tx.execute(
            "DELETE FROM agreement_version WHERE agreement_id = ?1",
            [id],
        )
        .map_err(StoreError::from)?;
        tx.execute("DELETE FROM agreement WHERE id = ?1", [id])
            .map_err(StoreError::from)?;
        tx.commit()?;
        Ok(())
    }

    /// Fills a new store with the demo register: clearly named partners with mailboxes on the
    /// reserved `.example` domain, reached by mail-program drafts, so that a new user can walk
    /// the whole flow and can never mail a real OCMW. Only the demo store gets it.
    pub fn install_demo_register(
        store: &Store,
        now: DateTime<FixedOffset>,
    ) -> Result<(), AgreementError> {
        let tx = store.transaction()?;
        tx.execute_batch(DEMO_REGISTER).map_err(StoreError::from)?;
        let ids: Vec<i64> = {
            let mut stmt = tx
                .prepare("SELECT id FROM agreement WHERE demo = 1")
                .map_err(StoreError::from)?;
            let rows = stmt.query_map([], |r| r.get(0)).map_err(StoreError::from)?;
            rows.collect::<Result<_, _>>().map_err(StoreError::from)?
        };
        for id in ids {
            record_version(store, id, now)?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// Turnhout's protocol has ended, to show what the worker meets then.
const DEMO_REGISTER: &str = "
INSERT INTO agreement (recipient, name, kbo, mailbox, dpo_email, password_phone, agreement_date,
                       protocol_from, protocol_until, demo, delivery) VALUES
  ('ocmw:13049', 'OCMW Westerlo (demo)', '0212.181.956', 'aanmelding@ocmw-westerlo.example',
   'dpo@ocmw-westerlo.example', '+3214000000', '2023-12-18', '2024-01-01', NULL, 1,
   'mail_program'),
  ('ocmw:24020', 'OCMW Diest (demo)', '0212.246.886', 'aanmelding@ocmw-diest.example',
   'dpo@ocmw-diest.example', '+3213000000', '2024-11-01', '2024-11-01', NULL, 1, 'mail_program'),
  ('caw:brussel', 'CAW Brussel (demo)', '0412.345.614', 'aanmelding@caw-brussel.example',
   'dpo@caw-brussel.example', '+3225000000', '2024-03-01', '2024-03-01', NULL, 1,
   'mail_program'),
  ('ocmw:13040', 'OCMW Turnhout (demo, protocol beëindigd)', '0207.001.166',
   'aanmelding@ocmw-turnhout.example', 'dpo@ocmw-turnhout.example', '+3214000001',
   '2023-01-01', '2023-01-01', '2025-06-30', 1, 'mail_program');
";

/// Writes the partner's current state as its newest version and returns the partner.
fn record_version(
    store: &Store,
    id: i64,
    now: DateTime<FixedOffset>,
) -> Result<Agreement, AgreementError> {
    // Read without the version's hash, which does not exist yet.
    let saved = Agreement::get(store, id)?;
    let body = serde_json::to_string(&VersionBody {
        entry: saved.to_input(),
        stopped_on: saved.stopped_on.map(|d| d.to_string()).unwrap_or_default(),
    })
    .map_err(|e| StoreError::Sqlite(e.to_string()))?;
    store
        .conn()
        .execute(
            "INSERT INTO agreement_version (agreement_id, version, saved_at, body)
             VALUES (?1, ?2, ?3, ?4)",
            (id, saved.version, now.to_rfc3339(), &body),
        )
        .map_err(StoreError::from)?;
    Agreement::get(store, id)
}

const SELECT: &str = "SELECT id, recipient, name, kbo, mailbox, dpo_email, password_phone,
    agreement_date, protocol_from, protocol_until, demo, delivery, notice_months,
    notice_given_on, dpo_advice_ours, dpo_advice_theirs, contacts, evaluation_months,
    last_evaluation, stopped_on, version,
    (SELECT body FROM agreement_version v
      WHERE v.agreement_id = agreement.id AND v.version = agreement.version)
    FROM agreement";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Agreement> {
    let bad = |i: usize, what: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("ongeldige {what}").into(),
        )
    };
    let recipient_key: String = r.get(1)?;
    let recipient = Recipient::from_key(&recipient_key).ok_or_else(|| bad(1, "ontvanger"))?;
    let date = |i: usize| -> rusqlite::Result<Option<NaiveDate>> {
        match r.get::<_, Option<String>>(i)? {
            Some(text) => Ok(Some(
                crate::day::parse(&text).ok_or_else(|| bad(i, "datum"))?,
            )),
            None => Ok(None),
        }
    };
    let required = |i: usize| date(i)?.ok_or_else(|| bad(i, "datum"));
    let protocol_from = required(8)?;
    let agreement_date = required(7)?;
    let protocol_until = date(9)?;
    let notice_months: Option<u8> = r.get(12)?;
    let notice_given_on = date(13)?;
    let evaluation_months: u8 = r.get(17)?;
    let last_evaluation = date(18)?;
    let body: Option<String> = r.get(21)?;
    Ok(Agreement {
        id: r.get(0)?,
        municipality_code: match &recipient {
            Recipient::Ocmw(code) => Some(code.clone()),
            Recipient::CawBrussel => None,
        },
        recipient,
        name: r.get(2)?,
        kbo: r.get(3)?,
        mailbox: r.get(4)?,
        dpo_email: r.get(5)?,
        password_phone: r.get(6)?,
        ends_on: ends_on(protocol_until, notice_given_on, notice_months),
        next_evaluation: next_evaluation(
            last_evaluation.unwrap_or(starts_on(protocol_from, agreement_date)),
            evaluation_months,
        ),
        agreement_date,
        protocol_from,
        protocol_until,
        demo: r.get(10)?,
        delivery: if r.get::<_, String>(11)? == "mail_program" {
            Delivery::MailProgram
        } else {
            Delivery::Smtp
        },
        notice_months,
        notice_given_on,
        dpo_advice_ours: date(14)?,
        dpo_advice_theirs: date(15)?,
        contacts: r.get(16)?,
        evaluation_months,
        last_evaluation,
        stopped_on: date(19)?,
        version: r.get(20)?,
        version_sha256: body
            .map(|b| hex::encode(Sha256::digest(b.as_bytes())))
            .unwrap_or_default(),
        // Filled in by `with_use`, from the consent records.
        used: false,
    })
}

/// The first day of sharing: the protocol's entry into force, but not before the agreement it
/// rests on was signed.
fn starts_on(protocol_from: NaiveDate, agreement_date: NaiveDate) -> NaiveDate {
    protocol_from.max(agreement_date)
}

/// The last day of sharing: the protocol's own end, or the day the notice period runs out
/// (notice given on 15/03 with 6 months: sharing ends on 14/09), whichever is first.
fn ends_on(
    until: Option<NaiveDate>,
    notice_given_on: Option<NaiveDate>,
    notice_months: Option<u8>,
) -> Option<NaiveDate> {
    let notice_end = match (notice_given_on, notice_months) {
        (Some(given), Some(months)) => given
            .checked_add_months(Months::new(u32::from(months)))
            .and_then(|d| d.pred_opt()),
        _ => None,
    };
    match (until, notice_end) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn next_evaluation(last: NaiveDate, months: u8) -> NaiveDate {
    last.checked_add_months(Months::new(u32::from(months)))
        .unwrap_or(last)
}

struct Valid {
    recipient: Recipient,
    name: String,
    kbo: String,
    mailbox: String,
    dpo_email: String,
    password_phone: String,
    agreement_date: NaiveDate,
    protocol_from: NaiveDate,
    protocol_until: Option<NaiveDate>,
    delivery: Delivery,
    notice_months: Option<u8>,
    notice_given_on: Option<NaiveDate>,
    dpo_advice_ours: Option<NaiveDate>,
    dpo_advice_theirs: Option<NaiveDate>,
    contacts: String,
    evaluation_months: u8,
    last_evaluation: Option<NaiveDate>,
}

impl Valid {
    fn starts_on(&self) -> NaiveDate {
        starts_on(self.protocol_from, self.agreement_date)
    }

    fn ends_on(&self) -> Option<NaiveDate> {
        ends_on(
            self.protocol_until,
            self.notice_given_on,
            self.notice_months,
        )
    }
}

fn validate(gazetteer: &Gazetteer, input: AgreementInput) -> Result<Valid, AgreementError> {
    use AgreementError::Invalid;
    let recipient = Recipient::from_key(input.recipient_key.trim()).ok_or(Invalid(
        "recipient_key",
        "Partner: kies de gemeente van het OCMW, of het CAW Brussel.",
    ))?;
    // Only a Flemish municipality has an OCMW as partner: a Brussels one's clients go to the
    // CAW, so an "OCMW Brussel" entry would stand in force and never be used.
    if let Recipient::Ocmw(code) = &recipient
        && gazetteer.recipient(code).ok().as_ref() != Some(&recipient)
    {
        return Err(Invalid(
            "recipient_key",
            "Partner: een OCMW kan alleen een partner zijn in een Vlaamse gemeente; in Brussel is \
             dat het CAW.",
        ));
    }
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 120 || name.chars().any(char::is_control) {
        return Err(Invalid(
            "name",
            "Naam: vul de naam van de partner in (hoogstens 120 tekens), bv. OCMW Westerlo.",
        ));
    }
    let kbo = normalise_kbo(&input.kbo).ok_or(Invalid(
        "kbo",
        "KBO-nummer: typ de tien cijfers van het ondernemingsnummer, bv. 0212.181.956. Dit nummer \
         is onvolledig of het controlegetal klopt niet.",
    ))?;
    let mailbox = email(&input.mailbox).ok_or(Invalid(
        "mailbox",
        "Aanmeldmailbox: typ het e-mailadres dat het OCMW voor aanmeldingen gaf, bv. aanmelding@ocmw.be.",
    ))?;
    let dpo_email = email(&input.dpo_email).ok_or(Invalid(
        "dpo_email",
        "E-mail van de DPO: typ het e-mailadres van de functionaris voor gegevensbescherming van de partner.",
    ))?;
    let password_phone = crate::contact::phone(&input.password_phone).map_err(|_| {
        Invalid(
            "password_phone",
            "Telefoon voor wachtwoorden: typ het nummer waarop je het wachtwoord doorgeeft, bv. 014 12 34 56.",
        )
    })?;
    let date = |text: &str, field: &'static str, message: &'static str| {
        crate::day::parse(text).ok_or(Invalid(field, message))
    };
    let agreement_date = date(
        &input.agreement_date,
        "agreement_date",
        "Datum samenwerkingsovereenkomst: typ de datum van ondertekening als dd/mm/jjjj, bv. 18/12/2023.",
    )?;
    let protocol_from = date(
        &input.protocol_from,
        "protocol_from",
        "Protocol van kracht vanaf: typ de datum waarop het protocol ingaat als dd/mm/jjjj, bv. 01/01/2024.",
    )?;
    let protocol_until = match input.protocol_until.trim() {
        "" => None,
        text => Some(date(
            text,
            "protocol_until",
            "Protocol loopt tot: typ de einddatum als dd/mm/jjjj, of laat het veld leeg als er geen is.",
        )?),
    };
    if protocol_until.is_some_and(|until| until < protocol_from) {
        return Err(Invalid(
            "protocol_until",
            "Protocol loopt tot: de einddatum ligt vóór de begindatum. Controleer beide datums.",
        ));
    }
    let optional_date = |text: &str, field: &'static str, message: &'static str| match text.trim() {
        "" => Ok(None),
        text => date(text, field, message).map(Some),
    };
    let notice_months = match input.notice_months.trim() {
        "" => None,
        text => Some(
            text.parse::<u8>()
                .ok()
                .filter(|m| (1..=36).contains(m))
                .ok_or(Invalid(
                    "notice_months",
                    "Opzegtermijn: typ het aantal maanden (1 tot 36), bv. 6, of laat het veld leeg.",
                ))?,
        ),
    };
    let notice_given_on = optional_date(
        &input.notice_given_on,
        "notice_given_on",
        "Opzeg gegeven op: typ de datum waarop de opzeg gegeven werd als dd/mm/jjjj, of laat het veld leeg.",
    )?;
    if notice_given_on.is_some() && notice_months.is_none() {
        return Err(Invalid(
            "notice_months",
            "Opzegtermijn: vul het aantal maanden in; daarmee berekent Aanmelder de einddatum.",
        ));
    }
    let dpo_advice_ours = optional_date(
        &input.dpo_advice_ours,
        "dpo_advice_ours",
        "Advies van onze DPO: typ de datum van het advies als dd/mm/jjjj, of laat het veld leeg.",
    )?;
    let dpo_advice_theirs = optional_date(
        &input.dpo_advice_theirs,
        "dpo_advice_theirs",
        "Advies van de DPO van de partner: typ de datum van het advies als dd/mm/jjjj, of laat het veld leeg.",
    )?;
    let contacts = input.contacts.trim().to_owned();
    if contacts.chars().count() > 500 || contacts.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Invalid(
            "contacts",
            "Contactpersonen: hoogstens 500 tekens, bv. Jan Peeters, maatschappelijk werker, 014 12 34 56.",
        ));
    }
    if !matches!(input.evaluation_months, 6 | 12) {
        return Err(Invalid(
            "evaluation_months",
            "Evaluatie: kies om de 12 maanden of om de 6 maanden.",
        ));
    }
    let last_evaluation = optional_date(
        &input.last_evaluation,
        "last_evaluation",
        "Laatste evaluatie: typ de datum van de laatste evaluatie als dd/mm/jjjj, of laat het veld leeg.",
    )?;
    Ok(Valid {
        notice_months,
        notice_given_on,
        dpo_advice_ours,
        dpo_advice_theirs,
        contacts,
        evaluation_months: input.evaluation_months,
        last_evaluation,
        delivery: input.delivery,
        recipient,
        name,
        kbo,
        mailbox,
        dpo_email,
        password_phone,
        agreement_date,
        protocol_from,
        protocol_until,
    })
}

fn email(text: &str) -> Option<String> {
    let text = text.trim();
    crate::contact::is_email(text).then(|| text.to_owned())
}

/// Ten digits with a valid mod-97 check, written as `0212.181.956`.
fn normalise_kbo(text: &str) -> Option<String> {
    let digits: String = text.chars().filter(|c| !matches!(c, '.' | ' ')).collect();
    if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let base: u64 = digits[..8].parse().ok()?;
    let check: u64 = digits[8..].parse().ok()?;
    (97 - base % 97 == check)
        .then(|| format!("{}.{}.{}", &digits[..4], &digits[4..7], &digits[7..]))
}

/// Why a partner cannot receive a referral, or why an entry was not saved.
#[derive(Debug, thiserror::Error, Coded)]
#[coded(prefix = "agreement", field_with = Self::invalid_field)]
pub enum AgreementError {
    #[error(
        "Er is geen samenwerkingsovereenkomst en protocol met {partner} in het register. Zonder \
         protocol mag je geen gegevens doorgeven. Neem contact op met de leidinggevende van je team."
    )]
    #[coded(code = "agreement.none")]
    NoAgreement { partner: String },
    #[error(
        "Het protocol met {partner} is pas van kracht vanaf {}. Tot dan mag je geen gegevens \
         doorgeven. Neem contact op met de leidinggevende van je team.",
        from.format("%d/%m/%Y")
    )]
    NotYetInForce { partner: String, from: NaiveDate },
    #[error(
        "Het protocol met {partner} liep af op {}. Je mag geen gegevens meer doorgeven. Neem \
         contact op met de leidinggevende van je team.",
        until.format("%d/%m/%Y")
    )]
    Ended { partner: String, until: NaiveDate },
    #[error("{1}")]
    Invalid(&'static str, &'static str),
    #[error(
        "Partner: er staat al een overeenkomst met {0} in het register die in dezelfde periode \
         loopt. Pas die aan, of zet ze eerst stop."
    )]
    #[coded(field = "recipient_key")]
    Duplicate(String),
    #[error(
        "Op de overeenkomst met {0} steunde al een toestemming: ze blijft in het register als \
         bewijs. Zet ze stop in plaats van ze te verwijderen."
    )]
    InUse(String),
    #[error(
        "Partner: in Brussel heeft het team met meer dan één CAW een protocol. Kies het CAW \
         waarnaar je deze cliënt doorverwijst."
    )]
    #[coded(field = "partner_id")]
    Choose,
    #[error("Die partner staat niet (meer) in het register.")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AgreementError {
    /// The form field an `Invalid` refusal names.
    fn invalid_field(&self) -> Option<&'static str> {
        match self {
            Self::Invalid(field, _) => Some(field),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
