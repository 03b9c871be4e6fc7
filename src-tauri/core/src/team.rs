//! The team: who is on it, who leads it, and the team profile the supervisor signs.
//!
//! Each worker's app holds only that worker's data. What the whole team shares (the register of
//! partners and the list of members) travels as a team profile signed by the supervisor, and the
//! yearly evaluation needs to know whose counts are still missing.
//!
//! The profile is signed with Ed25519 under a key made in the supervisor's app and kept only in
//! its encrypted store. A member's app trusts no key by itself: on the first import it shows the
//! key's fingerprint, the member compares it with the supervisor by phone, and only then pins it.
//! After that a profile signed with any other key, or with one byte changed, is refused. The
//! signature covers the exact bytes of the profile, so no canonical form of JSON is needed. A
//! password agreed with a partner never goes into a profile: the file is signed, not encrypted.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, FixedOffset};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use ts_rs::TS;
use zeroize::Zeroizing;

use crate::agreement::{Agreement, AgreementError, AgreementInput};
use crate::error::{Coded, FieldMessage};
use crate::files::Export;
use crate::residence::{Gazetteer, Recipient};
use crate::store::{Store, StoreError};
use crate::worker::WorkerProfile;

/// What the `schema` field of every team profile says.
pub const SCHEMA: &str = "be.kindengezin.aanmelder.teamprofiel";
/// The version this build writes and reads.
pub const VERSION: u32 = 1;

/// A member of the team, as the supervisor lists them: the evaluation recognises a worker's count
/// file by the e-mail address in it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Member {
    pub name: String,
    pub email: String,
    /// The member's count-file key (Ed25519, base64) as the supervisor confirmed it by
    /// fingerprint; empty until their first count file is read in.
    #[serde(default)]
    pub public_key: String,
}

/// What the app is used as. The supervisor also adds up the team's count files and signs the
/// team profile.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Role {
    #[default]
    Member,
    Supervisor,
}

/// One column of the team's settings row.
fn setting<T: rusqlite::types::FromSql>(
    store: &Store,
    column: &'static str,
) -> Result<T, StoreError> {
    Ok(store.conn().query_row(
        &format!("SELECT {column} FROM team_settings WHERE id = 1"),
        [],
        |r| r.get(0),
    )?)
}

pub fn role(store: &Store) -> Result<Role, TeamError> {
    let role: String = setting(store, "role")?;
    Ok(if role == "supervisor" {
        Role::Supervisor
    } else {
        Role::Member
    })
}

pub fn set_role(store: &Store, role: Role) -> Result<(), TeamError> {
    let text = match role {
        Role::Member => "member",
        Role::Supervisor => "supervisor",
    };
    store
        .conn()
        .execute("UPDATE team_settings SET role = ?1 WHERE id = 1", [text])
        .map_err(StoreError::from)?;
    Ok(())
}

pub fn members(store: &Store) -> Result<Vec<Member>, TeamError> {
    let mut stmt = store
        .conn()
        .prepare("SELECT name, email, public_key FROM team_member ORDER BY id")
        .map_err(StoreError::from)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(Member {
                name: r.get(0)?,
                email: r.get(1)?,
                public_key: r
                    .get::<_, Option<Vec<u8>>>(2)?
                    .map(|k| BASE64.encode(k))
                    .unwrap_or_default(),
            })
        })
        .map_err(StoreError::from)?;
    Ok(rows.collect::<Result<_, _>>().map_err(StoreError::from)?)
}

/// Checks every member; the problems name the row, e.g. `members.2.email`.
fn validated(members: Vec<Member>) -> Result<Vec<Member>, TeamError> {
    let mut problems = Vec::new();
    let mut seen = Vec::new();
    let members: Vec<Member> = members
        .into_iter()
        .map(|m| Member {
            name: m.name.trim().to_owned(),
            email: m.email.trim().to_owned(),
            public_key: m.public_key.trim().to_owned(),
        })
        .collect();
    for (i, m) in members.iter().enumerate() {
        let row = i + 1;
        if m.name.is_empty() || m.name.chars().any(char::is_control) || m.name.chars().count() > 100
        {
            problems.push(FieldMessage {
                field: format!("members.{i}.name"),
                message: format!("Teamlid {row}, naam: vul de naam in (hoogstens 100 tekens)."),
            });
        }
        if !crate::contact::is_email(&m.email) {
            problems.push(FieldMessage {
                field: format!("members.{i}.email"),
                message: format!(
                    "Teamlid {row}, e-mailadres: vul het adres in zoals naam@voorbeeld.be."
                ),
            });
        } else if seen.contains(&m.email.to_lowercase()) {
            problems.push(FieldMessage {
                field: format!("members.{i}.email"),
                message: format!("Teamlid {row}, e-mailadres: dit adres staat al in de lijst."),
            });
        }
        if !m.public_key.is_empty() && decode_key(&m.public_key).is_none() {
            problems.push(FieldMessage {
                field: format!("members.{i}.public_key"),
                message: format!(
                    "Teamlid {row}: de sleutel voor telbestanden is onleesbaar. Lees een \
                     telbestand van dit teamlid opnieuw in om ze te bevestigen."
                ),
            });
        }
        seen.push(m.email.to_lowercase());
    }
    if problems.is_empty() {
        Ok(members)
    } else {
        Err(TeamError::Members(problems))
    }
}

/// Replaces the list of members.
pub fn save_members(store: &Store, members: Vec<Member>) -> Result<Vec<Member>, TeamError> {
    let members = validated(members)?;
    let tx = store.transaction()?;
    replace_members(&tx, &members)?;
    tx.commit()?;
    Ok(members)
}

fn replace_members(conn: &rusqlite::Connection, members: &[Member]) -> Result<(), TeamError> {
    conn.execute("DELETE FROM team_member", [])
        .map_err(StoreError::from)?;
    for m in members {
        let key = decode_key(&m.public_key).map(|k| k.as_bytes().to_vec());
        conn.execute(
            "INSERT INTO team_member (name, email, public_key) VALUES (?1, ?2, ?3)",
            (&m.name, &m.email, key),
        )
        .map_err(StoreError::from)?;
    }
    Ok(())
}

/// The supervisor's signing key for team profiles.
fn signing_key(store: &Store) -> Result<SigningKey, TeamError> {
    if role(store)? != Role::Supervisor {
        return Err(TeamError::NotSupervisor);
    }
    own_key(store)
}

/// This app's Ed25519 key, made on first need and kept only in the encrypted store. A member
/// signs count files with it; a supervisor also signs team profiles.
fn own_key(store: &Store) -> Result<SigningKey, TeamError> {
    let stored: Option<Vec<u8>> = setting(store, "signing_key")?;
    let mut seed = Zeroizing::new([0u8; 32]);
    match stored {
        Some(bytes) if bytes.len() == 32 => seed.copy_from_slice(&bytes),
        _ => {
            getrandom::fill(seed.as_mut_slice()).map_err(|e| TeamError::Random(e.to_string()))?;
            store
                .conn()
                .execute(
                    "UPDATE team_settings SET signing_key = ?1 WHERE id = 1",
                    [seed.as_slice()],
                )
                .map_err(StoreError::from)?;
        }
    }
    Ok(SigningKey::from_bytes(&seed))
}

/// A signature by this app's key over `bytes`: the public key and the signature, in base64.
pub fn sign(store: &Store, bytes: &[u8]) -> Result<(String, String), TeamError> {
    let key = own_key(store)?;
    Ok((
        BASE64.encode(key.verifying_key().as_bytes()),
        BASE64.encode(key.sign(bytes).to_bytes()),
    ))
}

fn decode_key(text: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = BASE64.decode(text.trim()).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

/// Why the signed text of a count file or team profile cannot be used.
pub(crate) enum Unreadable {
    /// Not JSON of ours, not the `schema` asked for, or not its shape.
    NotOurs,
    /// Written by a newer version of Aanmelder (a `version` above the one we read).
    Newer,
}

/// The signed JSON `text` of a document of `schema`: ours, not from a newer version than
/// `version`, and of the shape `T`. Checked in that order, so a newer file says so rather than
/// that it is not ours.
pub(crate) fn signed_inner<T: serde::de::DeserializeOwned>(
    text: &str,
    schema: &str,
    version: u32,
) -> Result<T, Unreadable> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|_| Unreadable::NotOurs)?;
    if value.get("schema").and_then(|s| s.as_str()) != Some(schema) {
        return Err(Unreadable::NotOurs);
    }
    if value
        .get("version")
        .and_then(serde_json::Value::as_u64)
        .is_none_or(|v| v > u64::from(version))
    {
        return Err(Unreadable::Newer);
    }
    serde_json::from_value(value).map_err(|_| Unreadable::NotOurs)
}

/// Checks that `signature` (base64) is `public_key`'s (base64) over exactly `bytes`.
pub fn verify(public_key: &str, signature: &str, bytes: &[u8]) -> Option<VerifyingKey> {
    let key = decode_key(public_key)?;
    let signature: [u8; 64] = BASE64.decode(signature.trim()).ok()?.try_into().ok()?;
    key.verify_strict(bytes, &Signature::from_bytes(&signature))
        .ok()
        .map(|()| key)
}

/// What the supervisor's app knows of the key of the member with `email`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberKey {
    /// No member has this address.
    NotAMember,
    /// A member, whose key was not confirmed yet.
    Unconfirmed(String),
    /// A member and the key confirmed for them.
    Confirmed(String, VerifyingKey),
}

pub fn member_key(store: &Store, email: &str) -> Result<MemberKey, TeamError> {
    let email = email.trim().to_lowercase();
    let member = members(store)?
        .into_iter()
        .find(|m| m.email.trim().to_lowercase() == email);
    Ok(match member {
        None => MemberKey::NotAMember,
        Some(m) => match decode_key(&m.public_key) {
            Some(key) => MemberKey::Confirmed(m.name, key),
            None => MemberKey::Unconfirmed(m.name),
        },
    })
}

/// Pins `key` as the count-file key of the member with `email`, after the supervisor compared
/// its fingerprint with the member's.
pub fn confirm_member_key(store: &Store, email: &str, key: &VerifyingKey) -> Result<(), TeamError> {
    store
        .conn()
        .execute(
            "UPDATE team_member SET public_key = ?2 WHERE lower(trim(email)) = ?1",
            (email.trim().to_lowercase(), key.as_bytes().as_slice()),
        )
        .map_err(StoreError::from)?;
    Ok(())
}

/// Whether a fingerprint as typed or ticked matches the key's (spaces and case ignored).
pub fn fingerprint_matches(confirmed: Option<&str>, key: &VerifyingKey) -> bool {
    let normalise = |f: &str| f.split_whitespace().collect::<String>().to_uppercase();
    confirmed.map(normalise) == Some(normalise(&fingerprint(key)))
}

/// The first 16 bytes of the key's SHA-256, as 8 groups of 4 hex digits: short enough to read
/// over the phone, long enough that nobody can make a key that matches it.
pub fn fingerprint(key: &VerifyingKey) -> String {
    let digest = Sha256::digest(key.as_bytes());
    digest[..16]
        .chunks(2)
        .map(hex::encode_upper)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The fingerprint of this app's key: the members compare the supervisor's with the team
/// profile's, the supervisor compares a member's with their count file's.
pub fn own_fingerprint(store: &Store) -> Result<String, TeamError> {
    Ok(fingerprint(&own_key(store)?.verifying_key()))
}

/// What the supervisor signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Profile {
    schema: String,
    version: u32,
    team: String,
    issuer: String,
    /// RFC 3339.
    issued_at: String,
    members: Vec<Member>,
    agreements: Vec<AgreementInput>,
    /// The team's sign-in at Microsoft 365, when the supervisor's app has one: every member's
    /// app then signs in with the same registration. Absent in profiles of earlier versions,
    /// which keep being read; an earlier version ignores it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mail: Option<MailSignIn>,
}

/// Microsoft 365's tenant and the app registration there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct MailSignIn {
    tenant: String,
    client_id: String,
}

impl MailSignIn {
    fn text(&self) -> String {
        format!("Microsoft 365 (tenant {})", self.tenant)
    }
}

/// The file: the profile's exact bytes as a string, the key, and the signature over those bytes.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    profile: String,
    public_key: String,
    signature: String,
}

/// Signs the register and the members as the team profile: `teamprofiel-<date>.json`.
pub fn export_profile(store: &Store, now: DateTime<FixedOffset>) -> Result<Export, TeamError> {
    let key = signing_key(store)?;
    let worker = WorkerProfile::load(store)?;
    if worker.team.trim().is_empty() || worker.name.trim().is_empty() {
        return Err(TeamError::Incomplete);
    }
    let agreements = Agreement::list(store)?
        .iter()
        .filter(|a| !a.demo)
        .map(Agreement::to_input)
        .collect();
    let profile = Profile {
        schema: SCHEMA.into(),
        version: VERSION,
        team: worker.team,
        issuer: worker.name,
        issued_at: now.to_rfc3339(),
        members: members(store)?,
        agreements,
        mail: crate::outbox::settings::microsoft_365(store)?
            .map(|(tenant, client_id)| MailSignIn { tenant, client_id }),
    };
    let text =
        serde_json::to_string_pretty(&profile).map_err(|e| TeamError::Json(e.to_string()))?;
    let signature = key.sign(text.as_bytes());
    let envelope = Envelope {
        profile: text,
        public_key: BASE64.encode(key.verifying_key().as_bytes()),
        signature: BASE64.encode(signature.to_bytes()),
    };
    Ok(Export {
        file_name: format!("teamprofiel-{}.json", now.date_naive()),
        bytes: serde_json::to_vec_pretty(&envelope)
            .map_err(|e| TeamError::Json(e.to_string()))?
            .into(),
    })
}

/// What a member sees before applying a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ProfilePreview {
    pub fingerprint: String,
    /// Signed with the key this app already pinned.
    pub pinned: bool,
    pub team: String,
    pub issuer: String,
    pub issued_at: String,
    pub members: u32,
    /// The partners' names.
    pub agreements: Vec<String>,
    /// How the team signs in at its mail, when the profile says: "Microsoft 365 (tenant …)".
    pub mail: Option<String>,
}

/// Checks the file's signature against its own key and, once a key is pinned, against that one.
fn open(store: &Store, bytes: &[u8]) -> Result<(VerifyingKey, bool, Profile), TeamError> {
    let envelope: Envelope = serde_json::from_slice(bytes).map_err(|_| TeamError::NotAProfile)?;
    let key_bytes: [u8; 32] = BASE64
        .decode(envelope.public_key.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(TeamError::NotAProfile)?;
    let key = VerifyingKey::from_bytes(&key_bytes).map_err(|_| TeamError::NotAProfile)?;
    let signature: [u8; 64] = BASE64
        .decode(envelope.signature.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(TeamError::Changed)?;
    let pinned: Option<Vec<u8>> = setting(store, "pinned_key")?;
    if let Some(pinned) = &pinned
        && pinned.as_slice() != key.as_bytes()
    {
        let expected = <[u8; 32]>::try_from(pinned.as_slice())
            .ok()
            .and_then(|b| VerifyingKey::from_bytes(&b).ok())
            .map_or_else(|| "onbekend".into(), |k| fingerprint(&k));
        return Err(TeamError::OtherKey {
            found: fingerprint(&key),
            expected,
        });
    }
    key.verify_strict(
        envelope.profile.as_bytes(),
        &Signature::from_bytes(&signature),
    )
    .map_err(|_| TeamError::Changed)?;
    let profile: Profile =
        signed_inner(&envelope.profile, SCHEMA, VERSION).map_err(|e| match e {
            Unreadable::NotOurs => TeamError::NotAProfile,
            Unreadable::Newer => TeamError::Newer,
        })?;
    let issued =
        DateTime::parse_from_rfc3339(&profile.issued_at).map_err(|_| TeamError::NotAProfile)?;
    let last: Option<String> = setting(store, "profile_issued_at")?;
    if let Some(last) = last.and_then(|l| DateTime::parse_from_rfc3339(&l).ok())
        && issued < last
    {
        return Err(TeamError::Older);
    }
    Ok((key, pinned.is_some(), profile))
}

/// Verifies a team profile and says what is in it, changing nothing.
pub fn inspect_profile(store: &Store, bytes: &[u8]) -> Result<ProfilePreview, TeamError> {
    let (key, pinned, profile) = open(store, bytes)?;
    Ok(ProfilePreview {
        fingerprint: fingerprint(&key),
        pinned,
        team: profile.team,
        issuer: profile.issuer,
        issued_at: profile.issued_at,
        members: u32::try_from(profile.members.len()).unwrap_or(u32::MAX),
        agreements: profile.agreements.iter().map(|a| a.name.clone()).collect(),
        mail: profile.mail.as_ref().map(MailSignIn::text),
    })
}

/// What applying a profile changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Applied {
    pub added: u32,
    pub updated: u32,
    /// Partners no longer in the profile: ended on the day it was signed, never deleted.
    pub ended: u32,
    /// Partners not in the profile that could not be ended, with why.
    pub kept: Vec<String>,
    /// In Dutch, for the screen.
    pub message: String,
}

/// Verifies the profile again and applies it: pins the key on the first import (only with the
/// fingerprint the member confirmed), then brings the register and the members in line with it,
/// all in one transaction.
pub fn apply_profile(
    store: &Store,
    gazetteer: &Gazetteer,
    bytes: &[u8],
    confirmed_fingerprint: Option<&str>,
    now: DateTime<FixedOffset>,
) -> Result<Applied, TeamError> {
    let (key, pinned, profile) = open(store, bytes)?;
    let issued =
        DateTime::parse_from_rfc3339(&profile.issued_at).map_err(|_| TeamError::NotAProfile)?;
    if !pinned && !fingerprint_matches(confirmed_fingerprint, &key) {
        return Err(TeamError::Unconfirmed);
    }
    let members = validated(profile.members)?;
    let tx = store.transaction()?;
    let existing: Vec<Agreement> = Agreement::list(store)?
        .into_iter()
        .filter(|a| !a.demo && a.stopped_on.is_none())
        .collect();
    let digits = |kbo: &str| kbo.chars().filter(char::is_ascii_digit).collect::<String>();
    let same = |a: &Agreement, p: &AgreementInput| {
        a.recipient.key() == p.recipient_key.trim()
            && (a.recipient != Recipient::CawBrussel || digits(&a.kbo) == digits(&p.kbo))
    };
    let (mut added, mut updated, mut ended) = (0, 0, 0);
    for input in &profile.agreements {
        match existing.iter().find(|a| same(a, input)) {
            Some(current) if current.to_input() == *input => {}
            Some(current) => {
                Agreement::save(store, gazetteer, Some(current.id), input.clone(), now)?;
                updated += 1;
            }
            None => {
                Agreement::save(store, gazetteer, None, input.clone(), now)?;
                added += 1;
            }
        }
    }
    // A partner the supervisor took out of the register ends on the day the profile was
    // signed; it is never deleted, so what was done under it keeps its record.
    let until = issued.date_naive().to_string();
    let mut kept = Vec::new();
    for old in existing
        .iter()
        .filter(|a| !profile.agreements.iter().any(|p| same(a, p)))
    {
        match Agreement::stop(store, old.id, &until, now) {
            Ok(_) => ended += 1,
            Err(AgreementError::Store(e)) => return Err(e.into()),
            Err(e) => kept.push(format!("{} ({e})", old.name)),
        }
    }
    replace_members(&tx, &members)?;
    if let Some(mail) = &profile.mail {
        crate::outbox::settings::apply_microsoft_365(store, &mail.tenant, &mail.client_id)?;
    }
    tx.execute(
        "UPDATE team_settings SET pinned_key = ?1, profile_issued_at = ?2 WHERE id = 1",
        (key.as_bytes().as_slice(), &profile.issued_at),
    )
    .map_err(StoreError::from)?;
    tx.commit()?;
    let members_text = match members.len() {
        1 => "1 teamlid".to_owned(),
        n => format!("{n} teamleden"),
    };
    let added_text = match added {
        1 => "1 partner".to_owned(),
        n => format!("{n} partners"),
    };
    let mut message = format!(
        "Teamprofiel van {} toegepast: {added_text} toegevoegd, {updated} bijgewerkt, \
         {ended} stopgezet; {members_text}.",
        profile.team
    );
    if !kept.is_empty() {
        message.push_str(&format!(" Niet stopgezet: {}.", kept.join(", ")));
    }
    if let Some(mail) = &profile.mail {
        message.push_str(&format!(
            " Aanmelden bij de mail: {}; meld je aan bij Instellingen, onder Mailserver.",
            mail.text()
        ));
    }
    Ok(Applied {
        added,
        updated,
        ended,
        kept,
        message,
    })
}

/// Why a team action was refused.
#[derive(Debug, thiserror::Error, Coded)]
#[coded(prefix = "team")]
pub enum TeamError {
    #[error(
        "Alleen een leidinggevende ondertekent het teamprofiel. Kies je rol onder Instellingen."
    )]
    NotSupervisor,
    #[error("Vul eerst je naam en team in onder Instellingen: ze staan in het teamprofiel.")]
    #[coded(code = "team.incomplete_profile")]
    Incomplete,
    #[error("{}", .0.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join(" "))]
    #[coded(fields)]
    Members(Vec<FieldMessage>),
    #[error(
        "Bestand: dit is geen teamprofiel van Aanmelder. Kies het .json-bestand dat je \
         leidinggevende je bezorgde."
    )]
    NotAProfile,
    #[error(
        "Het teamprofiel is gewijzigd na het ondertekenen: de handtekening klopt niet meer. Gebruik \
         het niet en vraag je leidinggevende om het opnieuw te bezorgen."
    )]
    #[coded(code = "team.signature")]
    Changed,
    #[error(
        "Dit teamprofiel is ondertekend met een andere sleutel dan die van je leidinggevende \
         (vingerafdruk {found}, verwacht {expected}). Gebruik het niet en bel je leidinggevende."
    )]
    OtherKey { found: String, expected: String },
    #[error(
        "Dit teamprofiel is ouder dan het profiel dat je al toepaste. Vraag je leidinggevende om \
         het nieuwste."
    )]
    Older,
    #[error(
        "Dit teamprofiel komt uit een nieuwere versie van Aanmelder. Werk Aanmelder bij en lees het \
         opnieuw in."
    )]
    Newer,
    #[error(
        "Bevestig eerst de vingerafdruk: vergelijk ze aan de telefoon met die op het scherm van je \
         leidinggevende en vink aan dat ze klopt."
    )]
    Unconfirmed,
    #[error("Het besturingssysteem gaf geen willekeurige getallen voor de sleutel: {0}")]
    Random(String),
    #[error("Het teamprofiel kon niet gemaakt worden: {0}")]
    Json(String),
    #[error("Een partner in het teamprofiel klopt niet: {0}")]
    #[coded(delegate)]
    Agreement(#[from] AgreementError),
    #[error(transparent)]
    Mail(#[from] crate::outbox::OutboxError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests;
