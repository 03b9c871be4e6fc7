//! The mail server settings, kept in the encrypted store: where mail goes out (SMTP), where
//! receipts come in (IMAP, optional) and how the worker signs in at both: a password, or OAuth
//! 2.0 (Microsoft 365, or another provider by its endpoints).

use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use rusqlite::OptionalExtension as _;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use zeroize::Zeroizing;

use super::oauth::{self, GrantView, Provider};
use super::receipts::ImapSettings;
use super::smtp::{Security, SignIn, SmtpSettings};
use super::{OutboxError, StoreAccess};
use crate::error::Coded;
use crate::store::{Store, StoreError};

/// How the worker signs in at the mail server and the mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SignInMethod {
    /// User name and password (AUTH PLAIN/LOGIN, IMAP LOGIN).
    Password,
    /// OAuth 2.0 at Microsoft 365: endpoints from the tenant.
    Microsoft365,
    /// OAuth 2.0 at another provider, by its endpoints.
    Oauth,
}

impl SignInMethod {
    fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Microsoft365 => "microsoft365",
            Self::Oauth => "oauth",
        }
    }

    fn of(text: &str) -> Self {
        match text {
            "microsoft365" => Self::Microsoft365,
            "oauth" => Self::Oauth,
            _ => Self::Password,
        }
    }
}

/// The provider and registration for OAuth 2.0, as typed (or brought by the team profile).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct OAuthSetup {
    /// Microsoft 365: the organisation's tenant id or domain.
    pub tenant: String,
    /// The app's registration at the provider (its "application (client) ID").
    pub client_id: String,
    /// Another provider's endpoints; empty for Microsoft 365.
    pub authorize_url: String,
    pub token_url: String,
    /// Optional: the provider's device-code endpoint.
    pub device_url: String,
    /// Separated by spaces.
    pub scopes: String,
}

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
    /// The worker's mailbox (IMAP) where receipts and bounces come in; empty: not checked.
    pub imap_host: String,
    pub imap_port: u16,
    pub imap_security: Security,
    pub sign_in: SignInMethod,
    pub oauth: OAuthSetup,
    /// Where the OAuth sign-in stands; `none` with a password.
    pub grant: GrantView,
}

/// The settings as the form sends them. An empty password or certificate keeps the stored one.
#[derive(Clone, PartialEq, Eq, Deserialize, TS)]
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
    /// Empty: the mailbox is not checked for receipts.
    pub imap_host: String,
    pub imap_port: u16,
    pub imap_security: Security,
    pub sign_in: SignInMethod,
    pub oauth: OAuthSetup,
}

// Not derived: a derived `Debug` would print the password whole.
impl std::fmt::Debug for SmtpInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpInput")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("imap_host", &self.imap_host)
            .field("sign_in", &self.sign_in)
            .finish_non_exhaustive()
    }
}

fn security_str(s: Security) -> &'static str {
    match s {
        Security::StartTls => "start_tls",
        Security::Tls => "tls",
    }
}

fn security_of(text: &str) -> Security {
    if text == "tls" {
        Security::Tls
    } else {
        Security::StartTls
    }
}

/// The row as stored.
struct Stored {
    host: String,
    port: u16,
    security: Security,
    username: String,
    password: Zeroizing<String>,
    ca: Option<String>,
    imap: Option<(String, u16, Security)>,
    sign_in: SignInMethod,
    oauth: OAuthSetup,
}

const TIMEOUT: Duration = Duration::from_secs(30);

fn stored(store: &Store) -> Result<Option<Stored>, OutboxError> {
    Ok(store
        .conn()
        .query_row(
            "SELECT host, port, security, username, password, ca_pem, imap_host, imap_port,
                    imap_security, sign_in, oauth_tenant, oauth_client_id, oauth_authorize_url,
                    oauth_token_url, oauth_device_url, oauth_scopes
             FROM smtp_settings WHERE id = 1",
            [],
            |r| {
                let imap_host: Option<String> = r.get(6)?;
                let imap_port: Option<u16> = r.get(7)?;
                let imap_security: Option<String> = r.get(8)?;
                let text = |i| -> rusqlite::Result<String> {
                    Ok(r.get::<_, Option<String>>(i)?.unwrap_or_default())
                };
                Ok(Stored {
                    host: r.get(0)?,
                    port: r.get(1)?,
                    security: security_of(&r.get::<_, String>(2)?),
                    username: r.get(3)?,
                    password: Zeroizing::new(r.get(4)?),
                    ca: r.get(5)?,
                    imap: imap_host.filter(|h| !h.is_empty()).map(|h| {
                        (
                            h,
                            imap_port.unwrap_or(993),
                            security_of(imap_security.as_deref().unwrap_or("tls")),
                        )
                    }),
                    sign_in: SignInMethod::of(&r.get::<_, String>(9)?),
                    oauth: OAuthSetup {
                        tenant: text(10)?,
                        client_id: text(11)?,
                        authorize_url: text(12)?,
                        token_url: text(13)?,
                        device_url: text(14)?,
                        scopes: text(15)?,
                    },
                })
            },
        )
        .optional()
        .map_err(StoreError::from)?)
}

/// The OAuth provider `setup` names, for `method`; `None` with a password.
fn provider(method: SignInMethod, setup: &OAuthSetup) -> Option<Provider> {
    match method {
        SignInMethod::Password => None,
        SignInMethod::Microsoft365 => {
            Some(Provider::microsoft_365(&setup.tenant, &setup.client_id))
        }
        SignInMethod::Oauth => Some(Provider {
            name: oauth2::url::Url::parse(&setup.authorize_url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_else(|| "De aanmelddienst".to_owned()),
            authorize_url: setup.authorize_url.clone(),
            token_url: setup.token_url.clone(),
            device_url: Some(setup.device_url.clone()).filter(|u| !u.is_empty()),
            client_id: setup.client_id.clone(),
            scopes: setup.scopes.split_whitespace().map(str::to_owned).collect(),
        }),
    }
}

/// The stored settings, with the sign-in still to be made: a password is ready, an OAuth access
/// token is fetched (and renewed) only when a connection is made, outside the store's lock.
#[derive(Debug)]
pub struct Mail {
    smtp: SmtpSettings,
    imap: Option<(String, u16, Security)>,
    provider: Option<Provider>,
}

/// The stored settings, or `None` before the worker set them.
pub fn load(store: &Store) -> Result<Option<Mail>, OutboxError> {
    Ok(stored(store)?.map(|s| {
        let provider = provider(s.sign_in, &s.oauth);
        Mail {
            smtp: SmtpSettings {
                sign_in: SignIn::Password {
                    username: s.username,
                    password: s.password,
                },
                host: s.host,
                port: s.port,
                security: s.security,
                extra_root_pem: s.ca.map(String::into_bytes),
                timeout: TIMEOUT,
            },
            imap: s.imap,
            provider,
        }
    }))
}

impl Mail {
    /// The OAuth provider, when the worker signs in with one.
    pub fn provider(&self) -> Option<&Provider> {
        self.provider.as_ref()
    }

    /// Whether the mailbox is checked for receipts.
    pub fn has_mailbox(&self) -> bool {
        self.imap.is_some()
    }

    /// The sign-in, ready: the password, or a valid access token.
    fn sign_in(
        &self,
        access: &impl StoreAccess,
        now: DateTime<FixedOffset>,
    ) -> Result<SignIn, OutboxError> {
        let SignIn::Password { username, password } = &self.smtp.sign_in else {
            return Ok(self.smtp.sign_in.clone());
        };
        Ok(match &self.provider {
            None => SignIn::Password {
                username: username.clone(),
                password: password.clone(),
            },
            Some(provider) => SignIn::Token {
                username: username.clone(),
                access_token: oauth::access_token(access, provider, now)?,
            },
        })
    }

    /// Where to deliver, signed in; without the sign-in (for a check that the server answers).
    pub fn server(&self) -> &SmtpSettings {
        &self.smtp
    }

    /// Where to deliver, with the sign-in ready.
    pub fn smtp(
        &self,
        access: &impl StoreAccess,
        now: DateTime<FixedOffset>,
    ) -> Result<SmtpSettings, OutboxError> {
        Ok(SmtpSettings {
            sign_in: self.sign_in(access, now)?,
            ..self.smtp.clone()
        })
    }

    /// The worker's mailbox with the same sign-in, or `None` when it is not checked.
    pub fn imap(
        &self,
        access: &impl StoreAccess,
        now: DateTime<FixedOffset>,
    ) -> Result<Option<ImapSettings>, OutboxError> {
        let Some((host, port, security)) = &self.imap else {
            return Ok(None);
        };
        Ok(Some(ImapSettings {
            host: host.clone(),
            port: *port,
            security: *security,
            sign_in: self.sign_in(access, now)?,
            extra_root_pem: self.smtp.extra_root_pem.clone(),
            timeout: TIMEOUT,
        }))
    }
}

pub fn view(store: &Store) -> Result<Option<SmtpView>, OutboxError> {
    let Some(s) = stored(store)? else {
        return Ok(None);
    };
    let grant = match provider(s.sign_in, &s.oauth) {
        Some(p) => oauth::grant(store, &p)?,
        None => GrantView {
            state: oauth::GrantState::None,
            since: None,
        },
    };
    let (imap_host, imap_port, imap_security) =
        s.imap.unwrap_or((String::new(), 993, Security::Tls));
    Ok(Some(SmtpView {
        host: s.host,
        port: s.port,
        security: s.security,
        username: s.username,
        has_password: !s.password.is_empty(),
        has_ca: s.ca.is_some(),
        imap_host,
        imap_port,
        imap_security,
        sign_in: s.sign_in,
        oauth: s.oauth,
        grant,
    }))
}

/// The provider the stored settings sign in with, for starting a sign-in.
pub fn stored_provider(store: &Store) -> Result<Provider, OutboxError> {
    Ok(stored_sign_in(store)?.0)
}

/// The OAuth provider of the stored settings, and the account (user name) they sign in as.
pub fn stored_sign_in(store: &Store) -> Result<(Provider, String), OutboxError> {
    stored(store)?
        .and_then(|s| provider(s.sign_in, &s.oauth).map(|p| (p, s.username)))
        .ok_or(SettingsError::NoOAuth.into())
}

/// A host name as a server's address: letters, digits, dots and hyphens.
fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
}

pub fn save(store: &Store, input: SmtpInput) -> Result<SmtpView, OutboxError> {
    let host = input.host.trim().to_owned();
    if !valid_host(&host) {
        return Err(SettingsError::Host.into());
    }
    if input.port == 0 {
        return Err(SettingsError::Port.into());
    }
    let imap_host = input.imap_host.trim().to_owned();
    if !imap_host.is_empty() && !valid_host(&imap_host) {
        return Err(SettingsError::ImapHost.into());
    }
    if !imap_host.is_empty() && input.imap_port == 0 {
        return Err(SettingsError::ImapPort.into());
    }
    let setup = checked_oauth(input.sign_in, &input.oauth)?;
    if input.sign_in != SignInMethod::Password && !crate::contact::is_email(input.username.trim()) {
        return Err(SettingsError::Account.into());
    }
    let ca = match input.ca_pem.trim() {
        "" => String::new(),
        pem => normalise_pem(pem).ok_or(SettingsError::Certificate)?,
    };
    let ca = ca.as_str();
    let current = stored(store)?;
    let password: Zeroizing<String> = match (input.password.as_str(), &current) {
        ("", Some(c)) => c.password.clone(),
        (p, _) => Zeroizing::new(p.to_owned()),
    };
    let ca_pem = match (ca, &current) {
        ("", Some(c)) => c.ca.clone(),
        ("", None) => None,
        (pem, _) => Some(pem.to_owned()),
    };
    let tx = store.transaction()?;
    // A grant belongs to one registration at one provider and to one account: another one
    // starts without it.
    let before = current.as_ref().map(|c| {
        (
            provider(c.sign_in, &c.oauth),
            c.username.trim().to_lowercase(),
        )
    });
    let after = (
        provider(input.sign_in, &setup),
        input.username.trim().to_lowercase(),
    );
    if before.as_ref() != Some(&after) {
        oauth::forget(store)?;
    }
    store
        .conn()
        .execute(
            "INSERT INTO smtp_settings (id, host, port, security, username, password, ca_pem,
               imap_host, imap_port, imap_security, sign_in, oauth_tenant, oauth_client_id,
               oauth_authorize_url, oauth_token_url, oauth_device_url, oauth_scopes)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
             ON CONFLICT (id) DO UPDATE SET host = excluded.host, port = excluded.port,
               security = excluded.security, username = excluded.username,
               password = excluded.password, ca_pem = excluded.ca_pem,
               imap_host = excluded.imap_host, imap_port = excluded.imap_port,
               imap_security = excluded.imap_security, sign_in = excluded.sign_in,
               oauth_tenant = excluded.oauth_tenant, oauth_client_id = excluded.oauth_client_id,
               oauth_authorize_url = excluded.oauth_authorize_url,
               oauth_token_url = excluded.oauth_token_url,
               oauth_device_url = excluded.oauth_device_url,
               oauth_scopes = excluded.oauth_scopes",
            rusqlite::params![
                host,
                input.port,
                security_str(input.security),
                input.username.trim(),
                password.as_str(),
                ca_pem,
                (!imap_host.is_empty()).then_some(imap_host),
                input.imap_port,
                security_str(input.imap_security),
                input.sign_in.as_str(),
                setup.tenant,
                setup.client_id,
                setup.authorize_url,
                setup.token_url,
                setup.device_url,
                setup.scopes,
            ],
        )
        .map_err(StoreError::from)?;
    tx.commit()?;
    view(store)?.ok_or(OutboxError::Corrupt)
}

/// The OAuth setup trimmed and checked for `method`; what another method does not use is kept
/// as typed, so switching back and forth loses nothing.
fn checked_oauth(method: SignInMethod, setup: &OAuthSetup) -> Result<OAuthSetup, SettingsError> {
    let setup = OAuthSetup {
        tenant: setup.tenant.trim().to_owned(),
        client_id: setup.client_id.trim().to_owned(),
        authorize_url: setup.authorize_url.trim().to_owned(),
        token_url: setup.token_url.trim().to_owned(),
        device_url: setup.device_url.trim().to_owned(),
        scopes: setup
            .scopes
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    };
    let identifier = |text: &str| {
        !text.is_empty()
            && text.len() <= 200
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    };
    match method {
        SignInMethod::Password => {}
        SignInMethod::Microsoft365 => {
            if !identifier(&setup.tenant) {
                return Err(SettingsError::Tenant);
            }
            if !identifier(&setup.client_id) {
                return Err(SettingsError::ClientId);
            }
        }
        SignInMethod::Oauth => {
            if !oauth::endpoint_allowed(&setup.authorize_url) {
                return Err(SettingsError::AuthorizeUrl);
            }
            if !oauth::endpoint_allowed(&setup.token_url) {
                return Err(SettingsError::TokenUrl);
            }
            if !setup.device_url.is_empty() && !oauth::endpoint_allowed(&setup.device_url) {
                return Err(SettingsError::DeviceUrl);
            }
            if setup.client_id.is_empty() || setup.client_id.len() > 200 {
                return Err(SettingsError::ClientId);
            }
            if setup.scopes.is_empty() {
                return Err(SettingsError::Scopes);
            }
        }
    }
    Ok(setup)
}

/// Fills in what a team profile brings: Microsoft 365 with the organisation's tenant and the
/// app registration. The rest (the server, the worker's account) stays as the worker set it.
pub fn apply_microsoft_365(
    store: &Store,
    tenant: &str,
    client_id: &str,
) -> Result<(), OutboxError> {
    let setup = checked_oauth(
        SignInMethod::Microsoft365,
        &OAuthSetup {
            tenant: tenant.to_owned(),
            client_id: client_id.to_owned(),
            ..OAuthSetup::default()
        },
    )?;
    let current = stored(store)?;
    if current.as_ref().is_some_and(|c| {
        c.sign_in == SignInMethod::Microsoft365
            && c.oauth.tenant == setup.tenant
            && c.oauth.client_id == setup.client_id
    }) {
        return Ok(());
    }
    oauth::forget(store)?;
    let servers = microsoft_365_servers();
    store
        .conn()
        .execute(
            "INSERT INTO smtp_settings (id, host, port, security, username, password,
               imap_host, imap_port, imap_security, sign_in, oauth_tenant, oauth_client_id)
             VALUES (1, ?1, ?2, ?3, '', '', ?4, ?5, ?6, 'microsoft365', ?7, ?8)
             ON CONFLICT (id) DO UPDATE SET sign_in = 'microsoft365',
               oauth_tenant = excluded.oauth_tenant, oauth_client_id = excluded.oauth_client_id",
            rusqlite::params![
                servers.host,
                servers.port,
                security_str(servers.security),
                servers.imap_host,
                servers.imap_port,
                security_str(servers.imap_security),
                setup.tenant,
                setup.client_id
            ],
        )
        .map_err(StoreError::from)?;
    Ok(())
}

/// The team's Microsoft 365 tenant and registration, when the worker signs in there: what a
/// supervisor's team profile passes on.
pub fn microsoft_365(store: &Store) -> Result<Option<(String, String)>, OutboxError> {
    Ok(stored(store)?
        .filter(|s| s.sign_in == SignInMethod::Microsoft365)
        .map(|s| (s.oauth.tenant, s.oauth.client_id)))
}

/// Exchange Online's servers for clients (SMTP submission with STARTTLS on 587, IMAP on 993).
pub const MICROSOFT_365_SMTP: &str = "smtp.office365.com";
pub const MICROSOFT_365_IMAP: &str = "outlook.office365.com";

/// The servers a provider's preset fills in on the settings screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Servers {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub imap_host: String,
    pub imap_port: u16,
    pub imap_security: Security,
}

/// Microsoft 365's servers, the one definition the screen and a team profile use.
pub fn microsoft_365_servers() -> Servers {
    Servers {
        host: MICROSOFT_365_SMTP.to_owned(),
        port: 587,
        security: Security::StartTls,
        imap_host: MICROSOFT_365_IMAP.to_owned(),
        imap_port: 993,
        imap_security: Security::Tls,
    }
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
    #[error("Postvak: typ de naam van de IMAP-server, bv. imap.voorbeeld.be, of laat het leeg.")]
    #[coded(field = "imap_host")]
    ImapHost,
    #[error("Poort van het postvak: typ een poortnummer, meestal 993 (TLS).")]
    #[coded(field = "imap_port")]
    ImapPort,
    #[error(
        "Gebruikersnaam: typ het e-mailadres waarmee je je aanmeldt, bv. an.peeters@kindengezin.be."
    )]
    #[coded(field = "username")]
    Account,
    #[error("Tenant: typ de tenant-ID of het domein van je organisatie, bv. kindengezin.be.")]
    #[coded(field = "oauth_tenant")]
    Tenant,
    #[error("Client-ID: typ de toepassings-ID (client-ID) van de app-registratie die IT je gaf.")]
    #[coded(field = "oauth_client_id")]
    ClientId,
    #[error("Aanmeldadres: typ het https-adres van de aanmeldpagina (authorization endpoint).")]
    #[coded(field = "oauth_authorize_url")]
    AuthorizeUrl,
    #[error("Tokenadres: typ het https-adres van het token endpoint.")]
    #[coded(field = "oauth_token_url")]
    TokenUrl,
    #[error("Adres voor de code: typ het https-adres van het device endpoint, of laat het leeg.")]
    #[coded(field = "oauth_device_url")]
    DeviceUrl,
    #[error("Scopes: typ de toegangen die de app vraagt, gescheiden door spaties.")]
    #[coded(field = "oauth_scopes")]
    Scopes,
    #[error(
        "Aanmelden met OAuth is niet ingesteld: kies eerst hoe je je aanmeldt en bewaar de mailserver."
    )]
    NoOAuth,
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
