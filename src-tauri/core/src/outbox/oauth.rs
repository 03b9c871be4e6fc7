//! Signing in at the agency's mail with OAuth 2.0, as Microsoft 365 asks now that it retires
//! user-name-and-password SMTP AUTH.
//!
//! The worker signs in once, in the system browser (authorization code with PKCE and a loopback
//! redirect, RFC 8252) or, where no browser can reach back to this computer, with a code typed on
//! another device (RFC 8628). The provider's answer is a grant: a refresh token, kept in the
//! encrypted store and nowhere else, and short-lived access tokens, refreshed here before they
//! run out. SMTP and IMAP present the access token with XOAUTH2.
//!
//! A grant can end without the app knowing: a password change, an administrator revoking it, a
//! long holiday. The refresh then answers `invalid_grant`; the grant is marked lost (so every
//! later attempt says so at once, without asking the provider again) and the worker reads what
//! to do: sign in again. What waits in the outbox keeps waiting meanwhile.
//!
//! The tokens never leave this module except as the `Zeroizing` string a connection needs, and
//! never appear in an error: an error names what the provider said (`invalid_grant`), not what
//! was sent.

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, Utc};
use oauth2::basic::{
    BasicErrorResponse, BasicErrorResponseType, BasicRevocationErrorResponse,
    BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::url::Url;
use oauth2::{
    AccessToken, AuthUrl, AuthorizationCode, ClientId, CsrfToken, DeviceAuthorizationUrl,
    DeviceCodeErrorResponseType, EndpointMaybeSet, EndpointNotSet, EndpointSet, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope,
    StandardDeviceAuthorizationResponse, StandardRevocableToken, TokenResponse, TokenUrl,
};
use rusqlite::OptionalExtension as _;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use zeroize::Zeroizing;

use super::{OutboxError, StoreAccess};
use crate::error::Coded;
use crate::store::{Store, StoreError};

/// Where the worker signs in: the provider's endpoints and the app's registration there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    /// For the screen and the messages: "Microsoft 365", or the sign-in service's host.
    pub name: String,
    pub authorize_url: String,
    pub token_url: String,
    /// Absent: the provider has no device-code sign-in.
    pub device_url: Option<String>,
    pub client_id: String,
    pub scopes: Vec<String>,
}

/// Microsoft's sign-in for the mail of Microsoft 365 (Exchange Online).
pub const MICROSOFT_365: &str = "Microsoft 365";

/// The scopes Exchange Online asks of a client that sends by SMTP and reads the mailbox by
/// IMAP; `offline_access` brings the refresh token.
pub const MICROSOFT_365_SCOPES: &str = "https://outlook.office.com/SMTP.Send \
     https://outlook.office.com/IMAP.AccessAsUser.All offline_access";

impl Provider {
    /// Microsoft 365 for the organisation `tenant` (its tenant id or domain, e.g.
    /// `kindengezin.be`), with the app registration `client_id`.
    pub fn microsoft_365(tenant: &str, client_id: &str) -> Self {
        let base = format!(
            "https://login.microsoftonline.com/{}/oauth2/v2.0",
            tenant.trim()
        );
        Self {
            name: MICROSOFT_365.to_owned(),
            authorize_url: format!("{base}/authorize"),
            token_url: format!("{base}/token"),
            device_url: Some(format!("{base}/devicecode")),
            client_id: client_id.trim().to_owned(),
            scopes: MICROSOFT_365_SCOPES
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
        }
    }

    /// Which grant belongs to this provider: a grant of another registration or another
    /// provider is not one the app may use.
    fn key(&self) -> String {
        format!("{} {}", self.client_id, self.token_url)
    }

    fn client(&self) -> Result<Client, OAuthError> {
        let bad = |_| OAuthError::Provider;
        let client = TokensClient::new(ClientId::new(self.client_id.clone()))
            .set_auth_type(oauth2::AuthType::RequestBody)
            .set_auth_uri(AuthUrl::new(self.authorize_url.clone()).map_err(bad)?)
            .set_token_uri(TokenUrl::new(self.token_url.clone()).map_err(bad)?)
            .set_device_authorization_url_option(
                self.device_url
                    .clone()
                    .map(DeviceAuthorizationUrl::new)
                    .transpose()
                    .map_err(bad)?,
            );
        Ok(client)
    }

    fn scopes(&self) -> impl Iterator<Item = Scope> + '_ {
        self.scopes.iter().cloned().map(Scope::new)
    }
}

/// oauth2's basic client, but answering with [`Tokens`].
type TokensClient<
    HasAuthUrl = EndpointNotSet,
    HasDeviceAuthUrl = EndpointNotSet,
    HasIntrospectionUrl = EndpointNotSet,
    HasRevocationUrl = EndpointNotSet,
    HasTokenUrl = EndpointNotSet,
> = oauth2::Client<
    BasicErrorResponse,
    Tokens,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    HasAuthUrl,
    HasDeviceAuthUrl,
    HasIntrospectionUrl,
    HasRevocationUrl,
    HasTokenUrl,
>;

/// The client with its endpoints: the authorization's, the device code's (when the provider
/// has one) and the token's.
type Client =
    TokensClient<EndpointSet, EndpointMaybeSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// The provider's answer with tokens (RFC 6749, 5.1), read into a type of our own so that the
/// tokens are wiped when the answer goes: oauth2's own answer type keeps them in `String`s it
/// never clears. Fields the provider adds (Microsoft's `ext_expires_in`, an `id_token`) are
/// not read at all.
#[derive(Debug, Deserialize, Serialize)]
struct Tokens {
    access_token: AccessToken,
    // "Bearer" or "bearer": RFC 6749 makes the type case-insensitive.
    #[serde(deserialize_with = "oauth2::helpers::deserialize_untagged_enum_case_insensitive")]
    token_type: BasicTokenType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_in: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<RefreshToken>,
    #[serde(
        rename = "scope",
        default,
        deserialize_with = "oauth2::helpers::deserialize_space_delimited_vec",
        serialize_with = "oauth2::helpers::serialize_space_delimited_vec",
        skip_serializing_if = "Option::is_none"
    )]
    scopes: Option<Vec<Scope>>,
}

impl TokenResponse for Tokens {
    type TokenType = BasicTokenType;

    fn access_token(&self) -> &AccessToken {
        &self.access_token
    }

    fn token_type(&self) -> &BasicTokenType {
        &self.token_type
    }

    fn expires_in(&self) -> Option<Duration> {
        self.expires_in.map(Duration::from_secs)
    }

    fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }

    fn scopes(&self) -> Option<&Vec<Scope>> {
        self.scopes.as_ref()
    }
}

impl Drop for Tokens {
    fn drop(&mut self) {
        let access = std::mem::replace(&mut self.access_token, AccessToken::new(String::new()));
        drop(Zeroizing::new(access.into_secret()));
        if let Some(refresh) = self.refresh_token.take() {
            drop(Zeroizing::new(refresh.into_secret()));
        }
    }
}

/// Whether `text` may be a provider's endpoint: HTTPS, or plain HTTP to this computer only (a
/// provider for tests, or a local sign-in proxy an IT department runs). Anything else would send
/// codes and tokens readable on the network.
pub fn endpoint_allowed(text: &str) -> bool {
    let Ok(url) = Url::parse(text.trim()) else {
        return false;
    };
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]")),
        _ => false,
    }
}

/// HTTP to the provider through ureq, with the system's TLS and trust store (what IT installs
/// there, e.g. a proxy's certificate, is trusted here too) and the proxy from the environment.
#[derive(Debug)]
struct Http(ureq::Agent);

/// Why a request did not get an answer: the connection, not the provider's reply.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct HttpFailure(String);

impl Http {
    fn new() -> Self {
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::NativeTls)
            .root_certs(ureq::tls::RootCerts::PlatformVerifier)
            .build();
        let agent = ureq::Agent::config_builder()
            // The provider's error answers (400 with a JSON body) are for oauth2 to read.
            .http_status_as_error(false)
            // RFC 6749 endpoints answer directly; a redirect could carry the request elsewhere.
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(30)))
            .tls_config(tls)
            .build()
            .new_agent();
        Self(agent)
    }
}

impl oauth2::SyncHttpClient for Http {
    type Error = HttpFailure;

    fn call(&self, request: oauth2::HttpRequest) -> Result<oauth2::HttpResponse, HttpFailure> {
        // The form carries a refresh token, or a code and its PKCE verifier: wiped once sent.
        let (parts, form) = request.into_parts();
        let form = Zeroizing::new(form);
        let response = self
            .0
            .run(oauth2::http::Request::from_parts(parts, form.as_slice()))
            .map_err(|e| HttpFailure(e.to_string()))?;
        let (parts, mut body) = response.into_parts();
        let bytes = body
            .with_config()
            .limit(1 << 20)
            .read_to_vec()
            .map_err(|e| HttpFailure(e.to_string()))?;
        Ok(oauth2::http::Response::from_parts(parts, bytes))
    }
}

type TokenError = RequestTokenError<HttpFailure, oauth2::basic::BasicErrorResponse>;

/// The provider's refusal or the missing connection, in the worker's words. `renewing`: the
/// grant is a stored one being renewed, whose `invalid_grant` means it expired or was revoked;
/// during a sign-in it means the code was refused (too late, or not this sign-in's), which the
/// provider's own words tell IT better than "verlopen of ingetrokken".
fn token_error(provider: &Provider, error: TokenError, renewing: bool) -> OAuthError {
    match error {
        RequestTokenError::ServerResponse(answer) => match answer.error() {
            BasicErrorResponseType::InvalidGrant if renewing => OAuthError::Lost,
            BasicErrorResponseType::InvalidClient | BasicErrorResponseType::UnauthorizedClient => {
                OAuthError::Registration {
                    provider: provider.name.clone(),
                    said: said(answer.error().as_ref(), answer.error_description()),
                }
            }
            other => OAuthError::Refused {
                provider: provider.name.clone(),
                said: said(other.as_ref(), answer.error_description()),
            },
        },
        RequestTokenError::Request(e) => OAuthError::Unreachable {
            provider: provider.name.clone(),
            detail: e.to_string(),
        },
        RequestTokenError::Parse(..) | RequestTokenError::Other(_) => OAuthError::Answer {
            provider: provider.name.clone(),
        },
    }
}

/// The provider's error code with its description, for IT: never a token, only what the
/// provider chose to say.
fn said(code: &str, description: Option<&String>) -> String {
    match description {
        Some(d) if !d.trim().is_empty() => {
            let short: String = d.trim().chars().take(200).collect();
            format!("{code}: {short}")
        }
        _ => code.to_owned(),
    }
}

/// A sign-in started in the system browser, waiting for the browser to come back.
#[derive(Debug)]
pub struct BrowserSignIn {
    provider: Provider,
    url: String,
    listener: TcpListener,
    redirect: RedirectUrl,
    verifier: PkceCodeVerifier,
    state: CsrfToken,
}

/// How long the worker has to finish signing in at the provider.
const SIGN_IN_TIME: Duration = Duration::from_secs(10 * 60);

/// Starts a sign-in in the browser: a listener on this computer's loopback, on a port the system
/// chooses, for the provider's redirect; `url()` is what the browser opens. `account`, the user
/// name the settings give, goes along as `login_hint`: a browser already signed in to another
/// account (a personal one, another organisation's) offers the right one instead of granting
/// that other account's mail, which the mail server would then refuse.
pub fn start_browser(
    provider: &Provider,
    account: Option<&str>,
) -> Result<BrowserSignIn, OAuthError> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| OAuthError::Loopback {
            detail: e.to_string(),
        })?;
    let port = listener
        .local_addr()
        .map_err(|e| OAuthError::Loopback {
            detail: e.to_string(),
        })?
        .port();
    // `localhost`, not `127.0.0.1`: what Microsoft's registrations take for desktop apps; the
    // port is chosen now and providers ignore it when they match (RFC 8252, 7.3).
    let redirect =
        RedirectUrl::new(format!("http://localhost:{port}/")).map_err(|_| OAuthError::Provider)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let client = provider.client()?.set_redirect_uri(redirect.clone());
    let mut request = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(provider.scopes())
        .set_pkce_challenge(challenge);
    if let Some(account) = account.map(str::trim).filter(|a| !a.is_empty()) {
        request = request.add_extra_param("login_hint", account);
    }
    let (url, state) = request.url();
    Ok(BrowserSignIn {
        provider: provider.clone(),
        url: url.to_string(),
        listener,
        redirect,
        verifier,
        state,
    })
}

/// What the browser brought back to the loopback.
enum Callback {
    Code(AuthorizationCode),
    Refused(String),
}

impl BrowserSignIn {
    /// The address to open in the system browser.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Waits for the browser's return (until `cancel` is set or the time is up), trades the code
    /// for the grant and keeps it in the store.
    pub fn finish(
        self,
        access: &impl StoreAccess,
        cancel: &AtomicBool,
        now: impl Fn() -> DateTime<FixedOffset>,
    ) -> Result<(), OutboxError> {
        let code = self.callback(cancel)?;
        let client = self
            .provider
            .client()?
            .set_redirect_uri(self.redirect.clone());
        let answer = client
            .exchange_code(code.0)
            .set_pkce_verifier(self.verifier)
            .request(&Http::new());
        let result = match answer {
            Ok(tokens) => access.with(|store| keep(store, &self.provider, &tokens, now())),
            Err(e) => Err(token_error(&self.provider, e, false).into()),
        };
        code.1.answer(match &result {
            Ok(()) => Page::SignedIn,
            Err(_) => Page::Failed,
        });
        result
    }

    /// The first request on the loopback that carries this sign-in's state, with the browser's
    /// connection kept to answer it once the code is traded.
    fn callback(&self, cancel: &AtomicBool) -> Result<(AuthorizationCode, Browser), OAuthError> {
        let loopback = |e: std::io::Error| OAuthError::Loopback {
            detail: e.to_string(),
        };
        self.listener.set_nonblocking(true).map_err(loopback)?;
        let until = Instant::now() + SIGN_IN_TIME;
        loop {
            if cancel.load(Ordering::SeqCst) {
                return Err(OAuthError::Cancelled);
            }
            if Instant::now() > until {
                return Err(OAuthError::TooLong);
            }
            let stream = match self.listener.accept() {
                Ok((stream, _)) => stream,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(100));
                    continue;
                }
                Err(e) => return Err(loopback(e)),
            };
            let mut browser = Browser(stream);
            match browser.read(self.state.secret()) {
                Some(Callback::Code(code)) => return Ok((code, browser)),
                Some(Callback::Refused(said)) => {
                    browser.answer(Page::Failed);
                    return Err(OAuthError::Refused {
                        provider: self.provider.name.clone(),
                        said,
                    });
                }
                // A favicon, a stray request, or a request without this sign-in's state (a page
                // elsewhere probing the port): not ours, and the wait goes on.
                None => browser.answer(Page::NotFound),
            }
        }
    }
}

/// The browser's connection to the loopback.
struct Browser(TcpStream);

enum Page {
    SignedIn,
    Failed,
    NotFound,
}

impl Browser {
    /// The redirect's query, when it is the provider's answer to this sign-in.
    fn read(&mut self, state: &str) -> Option<Callback> {
        let _ = self.0.set_nonblocking(false);
        let _ = self.0.set_read_timeout(Some(Duration::from_secs(5)));
        let mut head = Vec::new();
        let mut buffer = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
            match self.0.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => head.extend_from_slice(&buffer[..n]),
            }
        }
        let head = String::from_utf8_lossy(&head);
        let target = head
            .lines()
            .next()?
            .strip_prefix("GET ")?
            .split(' ')
            .next()?;
        let url = Url::parse(&format!("http://localhost{target}")).ok()?;
        if url.path() != "/" {
            return None;
        }
        let find = |name: &str| {
            url.query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        if find("state").as_deref() != Some(state) {
            return None;
        }
        if let Some(code) = find("code") {
            return Some(Callback::Code(AuthorizationCode::new(code)));
        }
        let error = find("error")?;
        Some(Callback::Refused(said(
            &error,
            find("error_description").as_ref(),
        )))
    }

    fn answer(mut self, page: Page) {
        let (status, text) = match page {
            Page::SignedIn => (
                "200 OK",
                "Je bent aangemeld. Sluit dit venster en ga terug naar Aanmelder.",
            ),
            Page::Failed => (
                "200 OK",
                "Aanmelden is niet gelukt. Ga terug naar Aanmelder: daar staat wat er gebeurde.",
            ),
            Page::NotFound => ("404 Not Found", "Niet gevonden."),
        };
        let body = format!(
            "<!doctype html><html lang=\"nl\"><head><meta charset=\"utf-8\">\
             <title>Aanmelder</title></head><body><main><h1>Aanmelder</h1><p>{text}</p>\
             </main></body></html>"
        );
        let _ = write!(
            self.0,
            "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\
             Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = self.0.flush();
    }
}

/// A sign-in with a code the worker types at the provider on any device.
#[derive(Debug)]
pub struct DeviceSignIn {
    provider: Provider,
    details: StandardDeviceAuthorizationResponse,
}

/// What the worker needs to finish a device sign-in elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct DeviceCode {
    /// The code to type, e.g. `WDJB-MJHT`.
    pub user_code: String,
    /// Where to type it.
    pub verification_uri: String,
    /// Minutes the code stays valid.
    pub minutes: u32,
}

/// Asks the provider for a device code.
pub fn start_device(provider: &Provider) -> Result<DeviceSignIn, OAuthError> {
    let client = provider.client()?;
    let details: StandardDeviceAuthorizationResponse = client
        .exchange_device_code()
        .map_err(|_| OAuthError::NoDeviceCode {
            provider: provider.name.clone(),
        })?
        .add_scopes(provider.scopes())
        .request(&Http::new())
        .map_err(|e| token_error(provider, e, false))?;
    Ok(DeviceSignIn {
        provider: provider.clone(),
        details,
    })
}

impl DeviceSignIn {
    pub fn code(&self) -> DeviceCode {
        DeviceCode {
            user_code: self.details.user_code().secret().clone(),
            verification_uri: self.details.verification_uri().to_string(),
            minutes: u32::try_from(self.details.expires_in().as_secs().div_ceil(60))
                .unwrap_or(u32::MAX),
        }
    }

    /// Asks the provider, at the pace it set, whether the worker finished; keeps the grant.
    pub fn finish(
        self,
        access: &impl StoreAccess,
        cancel: &AtomicBool,
        now: impl Fn() -> DateTime<FixedOffset>,
    ) -> Result<(), OutboxError> {
        let client = self.provider.client()?;
        // A cancel ends the wait at the next poll: the clock the poll reads jumps past the
        // code's end, and the sleep between polls stops short.
        let clock = || {
            if cancel.load(Ordering::SeqCst) {
                DateTime::<Utc>::MAX_UTC
            } else {
                Utc::now()
            }
        };
        let sleep = |interval: Duration| {
            let until = Instant::now() + interval;
            while Instant::now() < until && !cancel.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(100));
            }
        };
        let answer = client
            .exchange_device_access_token(&self.details)
            .set_time_fn(clock)
            .request(&Http::new(), sleep, None);
        match answer {
            Ok(tokens) => access.with(|store| keep(store, &self.provider, &tokens, now())),
            Err(_) if cancel.load(Ordering::SeqCst) => Err(OAuthError::Cancelled.into()),
            Err(RequestTokenError::ServerResponse(answer)) => Err(match answer.error() {
                DeviceCodeErrorResponseType::ExpiredToken => OAuthError::TooLong,
                DeviceCodeErrorResponseType::AccessDenied => OAuthError::Refused {
                    provider: self.provider.name.clone(),
                    said: said("access_denied", answer.error_description()),
                },
                other => OAuthError::Refused {
                    provider: self.provider.name.clone(),
                    said: said(other.as_ref(), answer.error_description()),
                },
            }
            .into()),
            Err(RequestTokenError::Request(e)) => Err(OAuthError::Unreachable {
                provider: self.provider.name.clone(),
                detail: e.to_string(),
            }
            .into()),
            Err(_) => Err(OAuthError::Answer {
                provider: self.provider.name.clone(),
            }
            .into()),
        }
    }
}

/// An access token is renewed this long before it runs out, so a connection never starts with
/// one that ends while it is open.
const MARGIN: chrono::Duration = chrono::Duration::minutes(2);

/// When the provider does not say how long an access token lasts: the shortest common life.
const DEFAULT_LIFE: chrono::Duration = chrono::Duration::minutes(30);

/// When an access token the provider just issued runs out. A life the provider states beyond
/// what a date can hold is taken as the default one.
fn expiry(tokens: &Tokens, now: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    let life = tokens
        .expires_in()
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .unwrap_or(DEFAULT_LIFE);
    now.checked_add_signed(life)
        .unwrap_or_else(|| now + DEFAULT_LIFE)
}

/// Keeps a grant the provider just issued, replacing any earlier one.
fn keep(
    store: &Store,
    provider: &Provider,
    tokens: &Tokens,
    now: DateTime<FixedOffset>,
) -> Result<(), OutboxError> {
    let expires = expiry(tokens, now);
    store
        .conn()
        .execute(
            "INSERT INTO oauth_grant (id, provider, refresh_token, access_token, scopes,
               expires_at, granted_at, lost_at)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, NULL)
             ON CONFLICT (id) DO UPDATE SET provider = excluded.provider,
               refresh_token = excluded.refresh_token, access_token = excluded.access_token,
               scopes = excluded.scopes, expires_at = excluded.expires_at,
               granted_at = excluded.granted_at, lost_at = NULL",
            rusqlite::params![
                provider.key(),
                tokens.refresh_token().map(|t| t.secret().as_str()),
                tokens.access_token().secret(),
                granted(tokens),
                expires.to_rfc3339(),
                now.to_rfc3339(),
            ],
        )
        .map_err(StoreError::from)?;
    Ok(())
}

/// The scopes the provider says it granted (space-separated), when it says.
fn granted(tokens: &Tokens) -> Option<String> {
    tokens.scopes().map(|scopes| {
        scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// The stored grant for `provider`, if any.
struct Stored {
    refresh_token: Option<Zeroizing<String>>,
    access_token: Option<Zeroizing<String>>,
    /// What was granted: a refresh asks for exactly that (a provider refuses a refresh that
    /// asks for more, such as `offline_access`, which it does not list as granted).
    scopes: Option<String>,
    expires_at: Option<DateTime<FixedOffset>>,
    granted_at: String,
    lost_at: Option<String>,
}

fn stored(store: &Store, provider: &Provider) -> Result<Option<Stored>, StoreError> {
    let row = store
        .conn()
        .query_row(
            "SELECT provider, refresh_token, access_token, expires_at, granted_at, lost_at,
                    scopes
             FROM oauth_grant WHERE id = 1",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    Stored {
                        refresh_token: r.get::<_, Option<String>>(1)?.map(Zeroizing::new),
                        access_token: r.get::<_, Option<String>>(2)?.map(Zeroizing::new),
                        expires_at: r
                            .get::<_, Option<String>>(3)?
                            .and_then(|t| DateTime::parse_from_rfc3339(&t).ok()),
                        granted_at: r.get(4)?,
                        lost_at: r.get(5)?,
                        scopes: r.get(6)?,
                    },
                ))
            },
        )
        .optional()?;
    Ok(row.and_then(|(key, grant)| (key == provider.key()).then_some(grant)))
}

/// A valid access token for `provider`: the stored one while it lasts, else a fresh one from
/// the refresh token. The store is held only to read and to write, never during the request.
pub fn access_token(
    access: &impl StoreAccess,
    provider: &Provider,
    now: DateTime<FixedOffset>,
) -> Result<Zeroizing<String>, OutboxError> {
    let grant = access
        .with(|store| Ok(stored(store, provider)?))?
        .ok_or(OAuthError::NotSignedIn)?;
    if grant.lost_at.is_some() {
        return Err(OAuthError::Lost.into());
    }
    if let (Some(token), Some(expires)) = (&grant.access_token, grant.expires_at)
        && now + MARGIN < expires
    {
        return Ok(token.clone());
    }
    let Some(refresh) = grant.refresh_token else {
        // No refresh token (the registration does not give `offline_access`): the grant ends
        // with its access token, and the screen must say so, not "aangemeld".
        access.with(|store| {
            store
                .conn()
                .execute(
                    "UPDATE oauth_grant SET lost_at = ?1, access_token = NULL
                     WHERE id = 1 AND refresh_token IS NULL AND lost_at IS NULL",
                    [now.to_rfc3339()],
                )
                .map_err(StoreError::from)?;
            Ok(())
        })?;
        return Err(OAuthError::Lost.into());
    };
    let scopes: Vec<Scope> = match &grant.scopes {
        Some(granted) => granted
            .split_whitespace()
            .map(|s| Scope::new(s.to_owned()))
            .collect(),
        None => provider.scopes().collect(),
    };
    let asked = RefreshToken::new(refresh.to_string());
    let answer = provider
        .client()?
        .exchange_refresh_token(&asked)
        .add_scopes(scopes)
        .request(&Http::new());
    drop(Zeroizing::new(asked.into_secret()));
    match answer {
        Ok(tokens) => {
            let token = Zeroizing::new(tokens.access_token().secret().clone());
            let renewed = tokens
                .refresh_token()
                .map(|t| Zeroizing::new(t.secret().clone()));
            let expires = expiry(&tokens, now);
            // Both writes below change the grant only if it is still the one this refresh
            // started from: a sign-in meanwhile (or another copy of the app) must not be
            // overwritten by a late answer, nor marked lost by a refusal of the old token.
            access.with(|store| {
                // A provider that rotates refresh tokens sends a new one; one that does not
                // keeps the old one valid.
                store
                    .conn()
                    .execute(
                        "UPDATE oauth_grant SET access_token = ?1, expires_at = ?2,
                           refresh_token = coalesce(?3, refresh_token),
                           scopes = coalesce(?4, scopes)
                         WHERE id = 1 AND provider = ?5 AND refresh_token = ?6",
                        rusqlite::params![
                            token.as_str(),
                            expires.to_rfc3339(),
                            renewed.as_ref().map(|t| t.as_str()),
                            granted(&tokens),
                            provider.key(),
                            refresh.as_str(),
                        ],
                    )
                    .map_err(StoreError::from)?;
                Ok(())
            })?;
            Ok(token)
        }
        Err(e) => {
            let error = token_error(provider, e, true);
            if matches!(error, OAuthError::Lost) {
                access.with(|store| {
                    store
                        .conn()
                        .execute(
                            "UPDATE oauth_grant SET lost_at = ?1, access_token = NULL,
                               refresh_token = NULL
                             WHERE id = 1 AND refresh_token = ?2",
                            rusqlite::params![now.to_rfc3339(), refresh.as_str()],
                        )
                        .map_err(StoreError::from)?;
                    Ok(())
                })?;
            }
            Err(error.into())
        }
    }
}

/// Where the worker's sign-in stands, for the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum GrantState {
    /// Not signed in (yet) with this provider and registration.
    None,
    SignedIn,
    /// The provider ended the grant (expired, revoked): sign in again.
    Lost,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct GrantView {
    pub state: GrantState,
    /// RFC 3339: when the worker signed in, or when the grant was found lost.
    pub since: Option<String>,
}

pub fn grant(store: &Store, provider: &Provider) -> Result<GrantView, StoreError> {
    Ok(match stored(store, provider)? {
        None => GrantView {
            state: GrantState::None,
            since: None,
        },
        Some(Stored {
            lost_at: Some(lost),
            ..
        }) => GrantView {
            state: GrantState::Lost,
            since: Some(lost),
        },
        Some(grant) => GrantView {
            state: GrantState::SignedIn,
            since: Some(grant.granted_at),
        },
    })
}

/// Forgets the grant: signing out, or a change of provider or registration.
pub fn forget(store: &Store) -> Result<(), StoreError> {
    store.conn().execute("DELETE FROM oauth_grant", [])?;
    Ok(())
}

/// Why signing in did not work, and what to do.
#[derive(Debug, thiserror::Error, Coded)]
#[coded(prefix = "oauth")]
pub enum OAuthError {
    #[error(
        "Je bent nog niet aangemeld bij de mailserver. Kies bij Instellingen, onder Mailserver, \
         'Aanmelden in de browser' of 'Aanmelden met een code'."
    )]
    NotSignedIn,
    #[error(
        "Je aanmelding bij de mailserver is verlopen of ingetrokken (bijvoorbeeld na een nieuw \
         wachtwoord). Meld je opnieuw aan; wat klaarstaat om te verzenden, blijft wachten."
    )]
    Lost,
    #[error("{provider} weigerde de aanmelding ({said}). Probeer opnieuw, of vraag het aan IT.")]
    Refused { provider: String, said: String },
    #[error(
        "{provider} kent de registratie van Aanmelder niet ({said}). Kijk de tenant en de \
         client-ID na bij Instellingen, of vraag IT naar de app-registratie."
    )]
    Registration { provider: String, said: String },
    #[error(
        "{provider} is niet bereikbaar. Kijk de netwerkverbinding na en probeer opnieuw. \
         Technische melding voor ICT: {detail}"
    )]
    Unreachable { provider: String, detail: String },
    #[error("{provider} gaf een antwoord dat Aanmelder niet begrijpt. Vraag het aan IT.")]
    Answer { provider: String },
    #[error("{provider} kent geen aanmelden met een code. Kies 'Aanmelden in de browser'.")]
    NoDeviceCode { provider: String },
    #[error(
        "Aanmelder kon op deze computer niet wachten op de browser. Kies 'Aanmelden met een \
         code'. Technische melding voor ICT: {detail}"
    )]
    Loopback { detail: String },
    #[error(
        "De browser ging niet open. Kies 'Aanmelden met een code' en volg de stappen op een \
         ander toestel. Technische melding voor ICT: {detail}"
    )]
    Browser { detail: String },
    #[error("Het aanmelden duurde te lang en is gestopt. Begin opnieuw.")]
    TooLong,
    #[error("Het aanmelden is geannuleerd.")]
    Cancelled,
    #[error(
        "De adressen van de aanmelddienst zijn onbruikbaar. Kijk ze na bij Instellingen, \
         onder Mailserver."
    )]
    Provider,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_refused_at_sign_in_is_said_as_the_provider_said_it_not_as_a_lost_grant() {
        let provider = Provider::microsoft_365("kindengezin.be", "00000000-aaaa");
        let refused = || {
            RequestTokenError::ServerResponse(oauth2::basic::BasicErrorResponse::new(
                BasicErrorResponseType::InvalidGrant,
                Some("AADSTS70008: The provided authorization code has expired.".into()),
                None,
            ))
        };
        assert!(matches!(
            token_error(&provider, refused(), true),
            OAuthError::Lost
        ));
        match token_error(&provider, refused(), false) {
            OAuthError::Refused { said, .. } => {
                assert!(said.starts_with("invalid_grant: AADSTS70008"), "{said}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn only_https_or_this_computer_may_receive_codes_and_tokens() {
        assert!(endpoint_allowed(
            "https://login.microsoftonline.com/x/oauth2/v2.0/token"
        ));
        assert!(endpoint_allowed("http://127.0.0.1:4000/token"));
        assert!(endpoint_allowed("http://localhost:4000/token"));
        assert!(!endpoint_allowed("http://login.example.be/token"));
        assert!(!endpoint_allowed("ftp://login.example.be/token"));
        assert!(!endpoint_allowed("login.example.be/token"));
    }

    #[test]
    fn a_token_answer_is_read_as_microsoft_and_rfc_6749_write_it() {
        // Microsoft's shape: "Bearer" capitalised, extra fields this app does not read.
        let microsoft: Tokens = serde_json::from_str(
            r#"{"token_type":"Bearer","scope":"https://outlook.office.com/SMTP.Send offline_access",
                "expires_in":3599,"ext_expires_in":3599,"access_token":"eyJ0.a.b",
                "refresh_token":"0.AAAA","id_token":"eyJ0.c.d"}"#,
        )
        .unwrap();
        assert_eq!(microsoft.access_token().secret(), "eyJ0.a.b");
        assert_eq!(
            microsoft.refresh_token().map(|t| t.secret().as_str()),
            Some("0.AAAA")
        );
        assert_eq!(microsoft.expires_in(), Some(Duration::from_secs(3599)));
        assert_eq!(
            granted(&microsoft).as_deref(),
            Some("https://outlook.office.com/SMTP.Send offline_access")
        );
        // The least RFC 6749 allows: no life, no refresh token, no scope.
        let least: Tokens =
            serde_json::from_str(r#"{"access_token":"x","token_type":"bearer"}"#).unwrap();
        assert_eq!(least.expires_in(), None);
        assert!(least.refresh_token().is_none());
        assert!(granted(&least).is_none());
        assert!(serde_json::from_str::<Tokens>(r#"{"token_type":"bearer"}"#).is_err());
    }

    #[test]
    fn microsoft_365_is_found_by_tenant_and_asks_for_smtp_imap_and_a_refresh_token() {
        let p = Provider::microsoft_365(" kindengezin.be ", " 0000-1111 ");
        assert_eq!(
            p.token_url,
            "https://login.microsoftonline.com/kindengezin.be/oauth2/v2.0/token"
        );
        assert_eq!(p.client_id, "0000-1111");
        assert!(p.scopes.iter().any(|s| s.ends_with("SMTP.Send")));
        assert!(
            p.scopes
                .iter()
                .any(|s| s.ends_with("IMAP.AccessAsUser.All"))
        );
        assert!(p.scopes.iter().any(|s| s == "offline_access"));
        assert!(p.client().is_ok());
    }

    #[test]
    fn a_grant_of_another_registration_is_not_used() {
        let office = crate::testing::Office::new();
        let store = &office.store;
        let ours = Provider::microsoft_365("a.be", "one");
        let theirs = Provider::microsoft_365("a.be", "two");
        store
            .conn()
            .execute(
                "INSERT INTO oauth_grant (id, provider, refresh_token, access_token, expires_at,
                   granted_at) VALUES (1, ?1, 'r', 'a', '2999-01-01T00:00:00+00:00',
                   '2026-01-01T00:00:00+00:00')",
                [theirs.key()],
            )
            .unwrap();
        assert_eq!(grant(store, &ours).unwrap().state, GrantState::None);
        assert_eq!(grant(store, &theirs).unwrap().state, GrantState::SignedIn);
        let now = crate::testing::at("2026-12-03T10:00:00+01:00");
        assert!(matches!(
            access_token(store, &ours, now),
            Err(OutboxError::OAuth(OAuthError::NotSignedIn))
        ));
        assert_eq!(access_token(store, &theirs, now).unwrap().as_str(), "a");
    }
}
