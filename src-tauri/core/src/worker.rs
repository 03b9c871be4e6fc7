//! The worker's own identity: who the OCMW calls back about a referral.
//!
//! It is the referring party's contact block in every package, so it is validated as strictly as
//! client data: a phone number the OCMW cannot dial or an address that bounces is worse than none.

use rusqlite::OptionalExtension as _;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::Coded;
use crate::store::{Store, StoreError};

/// Longest name or team name accepted; longer is a typing accident, not a name.
pub const MAX_NAME_CHARS: usize = 100;

/// The worker's identity as entered in the settings screen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct WorkerProfile {
    pub name: String,
    pub team: String,
    pub email: String,
    /// Stored in E.164 form (`+32…`) once validated.
    pub phone: String,
}

impl WorkerProfile {
    /// Trims every field and checks it; returns the profile as it will be stored.
    ///
    /// The name is required; team, e-mail and phone may stay empty until a package needs them,
    /// but what is filled in must be right.
    pub fn validated(self) -> Result<Self, WorkerError> {
        let name = plain_text(&self.name, Field::Name)?;
        if name.is_empty() {
            return Err(WorkerError::Required(Field::Name));
        }
        let team = plain_text(&self.team, Field::Team)?;
        let email = self.email.trim().to_owned();
        if !email.is_empty() && !crate::contact::is_email(&email) {
            return Err(WorkerError::Email);
        }
        let phone = match self.phone.trim() {
            "" => String::new(),
            text => crate::contact::phone(text).map_err(|_| WorkerError::Phone)?,
        };
        Ok(Self {
            name,
            team,
            email,
            phone,
        })
    }

    /// The stored profile, or an empty one on first launch.
    pub fn load(store: &Store) -> Result<Self, StoreError> {
        let row = store
            .conn()
            .query_row(
                "SELECT name, team, email, phone FROM worker_profile WHERE id = 1",
                [],
                |r| {
                    Ok(Self {
                        name: r.get(0)?,
                        team: r.get(1)?,
                        email: r.get(2)?,
                        phone: r.get(3)?,
                    })
                },
            )
            .optional()?;
        Ok(row.unwrap_or_default())
    }

    /// Validates and stores the profile, replacing the previous one.
    pub fn save(self, store: &Store) -> Result<Self, WorkerError> {
        let profile = self.validated()?;
        store
            .conn()
            .execute(
                "INSERT INTO worker_profile (id, name, team, email, phone)
                 VALUES (1, ?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO UPDATE SET
                   name = excluded.name, team = excluded.team,
                   email = excluded.email, phone = excluded.phone",
                (&profile.name, &profile.team, &profile.email, &profile.phone),
            )
            .map_err(StoreError::from)?;
        Ok(profile)
    }
}

impl WorkerProfile {
    /// Every field filled in: the OCMW must be able to call and mail the referrer back.
    pub fn require_complete(&self) -> Result<(), WorkerError> {
        let missing: Vec<&'static str> = [
            ("naam", &self.name),
            ("team", &self.team),
            ("e-mailadres", &self.email),
            ("telefoon", &self.phone),
        ]
        .into_iter()
        .filter(|(_, value)| value.trim().is_empty())
        .map(|(label, _)| label)
        .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(WorkerError::Incomplete(missing.join(", ")))
        }
    }
}

fn plain_text(value: &str, field: Field) -> Result<String, WorkerError> {
    let value = value.trim();
    if value.chars().any(char::is_control) {
        return Err(WorkerError::ControlCharacters(field));
    }
    if value.chars().count() > MAX_NAME_CHARS {
        return Err(WorkerError::TooLong(field));
    }
    Ok(value.to_owned())
}

/// The fields of the profile, named as the settings screen names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Team,
}

impl Field {
    fn key(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Team => "team",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Name => "Naam",
            Self::Team => "Team",
        }
    }
}

/// Why a profile was not saved. Each message names the field and says how to fix it.
#[derive(Debug, thiserror::Error, Coded)]
#[coded(prefix = "worker", field_with = Self::field_name)]
pub enum WorkerError {
    #[error("{}: vul dit in.", .0.label())]
    Required(Field),
    #[error("{}: gebruik hoogstens {MAX_NAME_CHARS} tekens.", .0.label())]
    TooLong(Field),
    #[error("{}: verwijder de onzichtbare stuurtekens (bv. een tab of regeleinde).", .0.label())]
    ControlCharacters(Field),
    #[error("E-mailadres: dit is geen geldig e-mailadres. Schrijf het als naam@voorbeeld.be.")]
    #[coded(field = "email")]
    Email,
    #[error(
        "Telefoon: dit is geen geldig telefoonnummer. Typ een Belgisch nummer (bv. 014 12 34 56 of \
         0470 12 34 56) of een buitenlands nummer met landcode (bv. +31 6 12345678)."
    )]
    #[coded(field = "phone")]
    Phone,
    #[error(
        "Vul eerst je eigen gegevens in bij Instellingen ({0}): het OCMW gebruikt ze om je te \
         bellen of te mailen over de aanmelding."
    )]
    Incomplete(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl WorkerError {
    /// The form field of a refusal that names its field.
    fn field_name(&self) -> Option<&'static str> {
        match self {
            Self::Required(f) | Self::TooLong(f) | Self::ControlCharacters(f) => Some(f.key()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
