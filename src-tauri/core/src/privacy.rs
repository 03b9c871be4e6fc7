//! The worker's privacy settings: the idle lock and its PIN, and where saved files go.
//!
//! A laptop left open on a kitchen table at a home visit must not show the last family's
//! data. After a few idle minutes the window locks ([`crate::session::Session::lock`]) and only
//! the worker's PIN opens it again; the PIN is set at first start and kept here only as its
//! Argon2id hash. Saved files go to a folder the worker chose once, never silently to a
//! Documents folder that the operating system may sync to the cloud.

use std::path::Path;

use rusqlite::OptionalExtension as _;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use zeroize::Zeroizing;

use crate::error::Coded;
use crate::store::{MAX_PIN_DIGITS, MIN_PIN_DIGITS, PinHash, Store, StoreError, pin_is_valid};

/// Minutes without input before the window locks, unless the worker sets otherwise.
pub const DEFAULT_IDLE_MINUTES: u32 = 5;
/// The range the settings allow.
pub const IDLE_MINUTES: std::ops::RangeInclusive<u32> = 1..=30;
/// Argon2id's cost for the PIN: the same as for a passphrase (64 MiB, 3 passes).
const PIN_COST: (u32, u32) = (64 * 1024, 3);

/// The settings as the screen shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PrivacySettings {
    pub idle_minutes: u32,
    /// Whether the worker has chosen a PIN; the app asks for one until they have.
    pub pin_set: bool,
    /// The folder the worker chose for saving, once they have.
    pub save_folder: Option<String>,
}

/// A new PIN, typed twice.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct PinInput {
    #[ts(type = "string")]
    pub pin: Zeroizing<String>,
    #[ts(type = "string")]
    pub confirmation: Zeroizing<String>,
}

pub fn load(store: &Store) -> Result<PrivacySettings, PrivacyError> {
    Ok(store
        .conn()
        .query_row(
            "SELECT idle_minutes, pin_hash IS NOT NULL, save_folder FROM privacy_settings
             WHERE id = 1",
            [],
            |r| {
                Ok(PrivacySettings {
                    idle_minutes: r.get(0)?,
                    pin_set: r.get(1)?,
                    save_folder: r.get(2)?,
                })
            },
        )
        .map_err(StoreError::from)?)
}

pub fn save_idle_minutes(store: &Store, minutes: u32) -> Result<PrivacySettings, PrivacyError> {
    if !IDLE_MINUTES.contains(&minutes) {
        return Err(PrivacyError::IdleMinutes);
    }
    store
        .conn()
        .execute(
            "UPDATE privacy_settings SET idle_minutes = ?1 WHERE id = 1",
            [minutes],
        )
        .map_err(StoreError::from)?;
    load(store)
}

/// Sets (or replaces) the PIN.
pub fn set_pin(store: &Store, input: &PinInput) -> Result<PrivacySettings, PrivacyError> {
    set_pin_with_cost(store, input, PIN_COST)
}

fn set_pin_with_cost(
    store: &Store,
    input: &PinInput,
    (m_cost_kib, t_cost): (u32, u32),
) -> Result<PrivacySettings, PrivacyError> {
    let pin = input.pin.trim();
    if !pin_is_valid(pin) {
        return Err(PrivacyError::PinForm);
    }
    if pin != input.confirmation.trim() {
        return Err(PrivacyError::PinMismatch);
    }
    let runs = ["01234567890123", "98765432109876"];
    if pin.bytes().all(|b| b == pin.as_bytes()[0]) || runs.iter().any(|r| r.contains(pin)) {
        return Err(PrivacyError::PinTooSimple);
    }
    let hash = PinHash::new(pin, m_cost_kib, t_cost).map_err(StoreError::from)?;
    store
        .conn()
        .execute(
            "UPDATE privacy_settings SET pin_salt = ?1, pin_hash = ?2, pin_m_cost = ?3,
               pin_t_cost = ?4 WHERE id = 1",
            rusqlite::params![
                hash.salt.as_slice(),
                hash.hash.as_slice(),
                hash.m_cost_kib,
                hash.t_cost
            ],
        )
        .map_err(StoreError::from)?;
    load(store)
}

/// Salt, hash, memory cost and passes, as the row has them.
type StoredPin = (Vec<u8>, Zeroizing<Vec<u8>>, u32, u32);

/// The PIN's hash, to lock the window with; `None` before the worker chose a PIN.
pub fn pin_hash(store: &Store) -> Result<Option<PinHash>, PrivacyError> {
    let row: Option<StoredPin> = store
        .conn()
        .query_row(
            "SELECT pin_salt, pin_hash, pin_m_cost, pin_t_cost FROM privacy_settings
             WHERE id = 1 AND pin_hash IS NOT NULL",
            [],
            |r| Ok((r.get(0)?, Zeroizing::new(r.get(1)?), r.get(2)?, r.get(3)?)),
        )
        .optional()
        .map_err(StoreError::from)?;
    let Some((salt, hash, m_cost_kib, t_cost)) = row else {
        return Ok(None);
    };
    let corrupt = || StoreError::Sqlite("onleesbare pincode-instelling".into());
    let mut bytes = Zeroizing::new([0u8; 32]);
    bytes.copy_from_slice(hash.get(..32).ok_or_else(corrupt)?);
    Ok(Some(PinHash {
        salt: salt.try_into().map_err(|_| corrupt())?,
        hash: bytes,
        m_cost_kib,
        t_cost,
    }))
}

/// Remembers the folder the worker chose for saving. It must exist.
pub fn set_save_folder(store: &Store, folder: &str) -> Result<PrivacySettings, PrivacyError> {
    let folder = folder.trim();
    if !Path::new(folder).is_dir() {
        return Err(PrivacyError::NoFolder(folder.to_owned()));
    }
    store
        .conn()
        .execute(
            "UPDATE privacy_settings SET save_folder = ?1 WHERE id = 1",
            [folder],
        )
        .map_err(StoreError::from)?;
    load(store)
}

/// Why a privacy setting was refused.
#[derive(Debug, thiserror::Error, Coded)]
#[coded(prefix = "privacy")]
pub enum PrivacyError {
    #[error(
        "Vergrendelen na: kies een aantal minuten van 1 tot 30 (standaard {DEFAULT_IDLE_MINUTES})."
    )]
    #[coded(field = "idle_minutes")]
    IdleMinutes,
    #[error(
        "Pincode: typ {MIN_PIN_DIGITS} tot {MAX_PIN_DIGITS} cijfers, zonder spaties of letters."
    )]
    #[coded(field = "pin")]
    PinForm,
    #[error("De twee pincodes zijn niet gelijk. Typ dezelfde pincode twee keer.")]
    #[coded(field = "confirmation")]
    PinMismatch,
    #[error("Die pincode is te makkelijk te raden. Kies geen reeks als 123456, 654321 of 111111.")]
    #[coded(field = "pin")]
    PinTooSimple,
    #[error("Map: {0} bestaat niet of is geen map. Kies een bestaande map.")]
    #[coded(field = "folder")]
    NoFolder(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests;
