//! The mail server settings, kept in the encrypted store.

use std::time::Duration;

use rusqlite::OptionalExtension as _;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use zeroize::Zeroizing;

use super::OutboxError;
use super::smtp::{Security, SmtpSettings};
use crate::error::Coded;
use crate::store::{Store, StoreError};

/// The settings as the screen shows them: never the password itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SmtpView {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    pub has_password: bool,
    pub has_ca: bool,
}

/// The settings as the form sends them. An empty password or certificate keeps the stored one.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[ts(export)]
pub struct SmtpInput {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    /// Wiped from memory when the input is dropped.
    #[ts(type = "string")]
    pub password: Zeroizing<String>,
    pub ca_pem: String,
}

fn security_str(s: Security) -> &'static str {
    match s {
        Security::StartTls => "start_tls",
        Security::Tls => "tls",
    }
}

/// The stored settings ready to connect, or `None` before the worker set them.
pub fn load(store: &Store) -> Result<Option<SmtpSettings>, OutboxError> {
    let row = store
        .conn()
        .query_row(
            "SELECT host, port, security, username, password, ca_pem FROM smtp_settings WHERE id = 1",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, u16>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    Zeroizing::new(r.get::<_, String>(4)?),
                    r.get::<_, Option<String>>(5)?,
                ))
            },
        )
        .optional()
        .map_err(StoreError::from)?;
    Ok(row.map(
        |(host, port, security, username, password, ca)| SmtpSettings {
            host,
            port,
            security: if security == "tls" {
                Security::Tls
            } else {
                Security::StartTls
            },
            username,
            password,
            extra_root_pem: ca.map(String::into_bytes),
            timeout: Duration::from_secs(30),
        },
    ))
}

pub fn view(store: &Store) -> Result<Option<SmtpView>, OutboxError> {
    Ok(load(store)?.map(|s| SmtpView {
        host: s.host,
        port: s.port,
        security: s.security,
        username: s.username,
        has_password: !s.password.is_empty(),
        has_ca: s.extra_root_pem.is_some(),
    }))
}

pub fn save(store: &Store, input: SmtpInput) -> Result<SmtpView, OutboxError> {
    let host = input.host.trim().to_owned();
    let valid_host = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'));
    if !valid_host {
        return Err(SettingsError::Host.into());
    }
    if input.port == 0 {
        return Err(SettingsError::Port.into());
    }
    let ca = match input.ca_pem.trim() {
        "" => String::new(),
        pem => normalise_pem(pem).ok_or(SettingsError::Certificate)?,
    };
    let ca = ca.as_str();
    let current = load(store)?;
    let password: Zeroizing<String> = match (input.password.as_str(), &current) {
        ("", Some(c)) => c.password.clone(),
        (p, _) => Zeroizing::new(p.to_owned()),
    };
    let ca_pem = match (ca, &current) {
        ("", Some(c)) => c
            .extra_root_pem
            .clone()
            .map(|b| String::from_utf8_lossy(&b).into_owned()),
        ("", None) => None,
        (pem, _) => Some(pem.to_owned()),
    };
    store
        .conn()
        .execute(
            "INSERT INTO smtp_settings (id, host, port, security, username, password, ca_pem)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (id) DO UPDATE SET host = excluded.host, port = excluded.port,
               security = excluded.security, username = excluded.username,
               password = excluded.password, ca_pem = excluded.ca_pem",
            rusqlite::params![
                host,
                input.port,
                security_str(input.security),
                input.username.trim(),
                password.as_str(),
                ca_pem
            ],
        )
        .map_err(StoreError::from)?;
    view(store)?.ok_or(OutboxError::Corrupt)
}

const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
const END: &str = "-----END CERTIFICATE-----";

/// One PEM certificate, rewrapped at 64 columns: a certificate pasted through a form that lost
/// its line breaks still works. `None` if it is not a certificate OpenSSL can read.
fn normalise_pem(text: &str) -> Option<String> {
    let body = text
        .trim()
        .strip_prefix(BEGIN)?
        .trim_end()
        .strip_suffix(END)?;
    let base64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    if base64.is_empty()
        || !base64
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
    {
        return None;
    }
    let lines: Vec<&str> = base64
        .as_bytes()
        .chunks(64)
        .filter_map(|chunk| std::str::from_utf8(chunk).ok())
        .collect();
    let pem = format!("{BEGIN}\n{}\n{END}\n", lines.join("\n"));
    lettre::transport::smtp::client::Certificate::from_pem(pem.as_bytes()).ok()?;
    Some(pem)
}

/// A setting that cannot be used, named with its fix.
#[derive(Debug, thiserror::Error, Coded)]
#[coded(prefix = "outbox", code = "outbox.settings")]
pub enum SettingsError {
    #[error("Mailserver: typ de naam van de server, bv. smtp.voorbeeld.be.")]
    #[coded(field = "host")]
    Host,
    #[error("Poort: typ een poortnummer, meestal 587 (STARTTLS) of 465 (TLS).")]
    #[coded(field = "port")]
    Port,
    #[error(
        "Certificaat: plak een PEM-certificaat dat begint met -----BEGIN CERTIFICATE-----, of laat het veld leeg."
    )]
    #[coded(field = "ca_pem")]
    Certificate,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn real_certificate() -> String {
        let dir = tempfile::tempdir().unwrap();
        aanmelder_e2e::smtp::self_signed(dir.path()).unwrap();
        std::fs::read_to_string(dir.path().join("cert.pem")).unwrap()
    }

    #[test]
    fn a_pem_that_lost_its_line_breaks_is_rewrapped_and_garbage_refused() {
        let pem = real_certificate();
        let normal = normalise_pem(&pem).expect("a real certificate is accepted");
        assert_eq!(
            normalise_pem(&pem.replace('\n', "")).as_deref(),
            Some(normal.as_str())
        );
        assert_eq!(
            normalise_pem(&pem.replace('\n', "\r\n")).as_deref(),
            Some(normal.as_str())
        );
        assert!(normalise_pem("niet een certificaat").is_none());
        assert!(
            normalise_pem("-----BEGIN CERTIFICATE-----\n<b>\n-----END CERTIFICATE-----").is_none()
        );
    }
}
