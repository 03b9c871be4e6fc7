//! Signing in with OAuth 2.0 against a real provider on loopback (`oidc-provider`, see
//! `aanmelder_e2e::oauth`), with the test mail servers checking each XOAUTH2 token at that
//! provider: aiosmtpd by introspection, Dovecot by its own oauth2 passdb. The test plays the
//! worker at the provider's pages over HTTP; the app's side is the code the app runs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::AtomicBool;

use aanmelder_core::error::Coded as _;
use aanmelder_core::outbox::oauth::{self, GrantState, OAuthError};
use aanmelder_core::outbox::receipts;
use aanmelder_core::outbox::settings::{self, OAuthSetup, SignInMethod, SmtpInput};
use aanmelder_core::outbox::smtp::{Security, Smtp};
use aanmelder_core::outbox::{self, ItemState, OutboxError};
use aanmelder_e2e::imap::{self, ImapServer};
use aanmelder_e2e::oauth::{self as provider, OAuthProvider};
use aanmelder_e2e::smtp::SmtpServer;
use chrono::Duration;
use zeroize::Zeroizing;

mod support;
use support::{Office, contains, now, queued};

const ACCOUNT: &str = imap::USER;

/// The office, set to send through `smtp` (and read `imap`) signing in at `provider`.
fn signing_in_with(
    office: &Office,
    provider: &OAuthProvider,
    smtp: &SmtpServer,
    imap: Option<&ImapServer>,
) {
    settings::save(
        &office.store,
        SmtpInput {
            host: "localhost".into(),
            port: smtp.port,
            security: Security::StartTls,
            username: ACCOUNT.into(),
            password: Zeroizing::new(String::new()),
            ca_pem: String::from_utf8(smtp.cert.clone()).unwrap(),
            imap_host: imap.map(|_| "localhost".into()).unwrap_or_default(),
            imap_port: imap.map_or(993, |i| i.port),
            imap_security: Security::Tls,
            sign_in: SignInMethod::Oauth,
            oauth: OAuthSetup {
                tenant: String::new(),
                client_id: provider::CLIENT_ID.into(),
                authorize_url: provider.authorize_url(),
                token_url: provider.token_url(),
                device_url: provider.device_url(),
                scopes: provider::SCOPES.into(),
            },
        },
    )
    .unwrap();
}

/// Signs in through the browser flow, the test playing the worker at the provider; returns the
/// page the app's loopback showed at the end.
fn sign_in_in_browser(office: &Office, provider: &OAuthProvider) -> String {
    let (oauth_provider, account) = settings::stored_sign_in(&office.store).unwrap();
    let signing_in = oauth::start_browser(&oauth_provider, Some(&account)).unwrap();
    let url = signing_in.url().to_owned();
    assert!(url.contains("code_challenge_method=S256"), "PKCE: {url}");
    // The account the settings name is the one the provider is asked to offer.
    assert!(!account.is_empty());
    assert!(
        url.contains(&format!("login_hint={}", account.replace('@', "%40"))),
        "login_hint: {url}"
    );
    assert!(
        url.contains("redirect_uri=http%3A%2F%2Flocalhost%3A"),
        "loopback: {url}"
    );
    let cancel = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let worker = scope.spawn(|| given_up(provider.sign_in_in_browser(&url, ACCOUNT), &cancel));
        let finished = signing_in.finish(&office.store, &cancel, now);
        let page = worker.join().unwrap().unwrap();
        finished.unwrap();
        page
    })
}

/// The worker's part at the provider; when it fails, the app's wait is cancelled so the test
/// reports that failure at once instead of waiting out the sign-in.
fn given_up(result: Result<String, String>, cancel: &AtomicBool) -> Result<String, String> {
    if result.is_err() {
        cancel.store(true, std::sync::atomic::Ordering::SeqCst);
    }
    result
}

fn smtp_at(
    office: &Office,
    at: chrono::DateTime<chrono::FixedOffset>,
) -> Result<Smtp, OutboxError> {
    let mail = settings::load(&office.store).unwrap().unwrap();
    let settings = mail.smtp(&office.store, at)?;
    Ok(Smtp::new(&settings).unwrap())
}

fn grant_state(office: &Office) -> GrantState {
    settings::view(&office.store).unwrap().unwrap().grant.state
}

fn stored_token(office: &Office, column: &str) -> String {
    let (access, refresh) = aanmelder_core::testing::oauth_tokens(&office.store);
    if column == "access_token" {
        access
    } else {
        refresh
    }
}

#[test]
fn a_browser_sign_in_with_pkce_sends_by_xoauth2_and_keeps_the_tokens_only_in_the_store() {
    let provider = OAuthProvider::start().unwrap();
    let smtp = SmtpServer::start_with_oauth(&provider).unwrap();
    let office = Office::with_smtp();
    signing_in_with(&office, &provider, &smtp, None);
    assert_eq!(grant_state(&office), GrantState::None);

    let page = sign_in_in_browser(&office, &provider);
    assert!(page.contains("Je bent aangemeld"), "{page}");
    assert_eq!(grant_state(&office), GrantState::SignedIn);

    let reference = queued(&office, "Zoë", "2260");
    let client = smtp_at(&office, now()).unwrap();
    let report = outbox::sync(&office.store, &client, now, false, |_, _| {}).unwrap();
    assert_eq!(report.sent, 1, "{report:?}");
    assert_eq!(smtp.received().len(), 1);
    assert_eq!(smtp.xoauth2_sign_ins(), [format!("{ACCOUNT} ok")]);
    let item = outbox::list(&office.store, &office.gazetteer).unwrap();
    assert!(
        item.iter()
            .any(|i| i.reference == reference.as_str() && i.state == ItemState::Sent)
    );

    // The tokens are in the encrypted store and nowhere else: not in the page the browser
    // showed, not in the mail, not in any file of the office or the temporary folder.
    let access = stored_token(&office, "access_token");
    let refresh = stored_token(&office, "refresh_token");
    assert!(provider.active(&access).unwrap());
    for token in [&access, &refresh] {
        assert!(!page.contains(token.as_str()));
        for root in [office.dir(), std::env::temp_dir()] {
            for file in files_under(&root) {
                let bytes = std::fs::read(&file).unwrap_or_default();
                assert!(
                    !contains(&bytes, token.as_bytes()),
                    "a token in {}",
                    file.display()
                );
            }
        }
    }
}

/// Every regular file below `root`, not following links.
fn files_under(root: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                folders.push(entry.path());
            } else if kind.is_file() && entry.metadata().is_ok_and(|m| m.len() < 50_000_000) {
                files.push(entry.path());
            }
        }
    }
    files
}

#[test]
fn a_device_code_sign_in_works_without_a_browser_on_this_computer() {
    let provider = OAuthProvider::start().unwrap();
    let smtp = SmtpServer::start_with_oauth(&provider).unwrap();
    let office = Office::with_smtp();
    signing_in_with(&office, &provider, &smtp, None);

    let signing_in =
        oauth::start_device(&settings::stored_provider(&office.store).unwrap()).unwrap();
    let code = signing_in.code();
    assert!(code.verification_uri.starts_with(&provider.issuer()));
    assert!(code.minutes >= 1 && code.minutes <= 10, "{code:?}");
    let cancel = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let worker = scope.spawn(|| {
            given_up(
                provider.enter_device_code(&code.verification_uri, &code.user_code, ACCOUNT),
                &cancel,
            )
        });
        let finished = signing_in.finish(&office.store, &cancel, now);
        let page = worker.join().unwrap().unwrap();
        finished.unwrap();
        assert!(page.contains("Sign-in Success"), "{page}");
    });
    assert_eq!(grant_state(&office), GrantState::SignedIn);

    queued(&office, "Jan", "2260");
    let client = smtp_at(&office, now()).unwrap();
    let report = outbox::sync(&office.store, &client, now, false, |_, _| {}).unwrap();
    assert_eq!(report.sent, 1, "{report:?}");
}

#[test]
fn an_access_token_is_renewed_by_itself_and_a_revoked_grant_asks_to_sign_in_again() {
    let provider = OAuthProvider::start().unwrap();
    let smtp = SmtpServer::start_with_oauth(&provider).unwrap();
    let office = Office::with_smtp();
    signing_in_with(&office, &provider, &smtp, None);
    sign_in_in_browser(&office, &provider);
    let first = stored_token(&office, "access_token");
    let first_refresh = stored_token(&office, "refresh_token");
    let oauth_provider = settings::stored_provider(&office.store).unwrap();

    // Within its life the token is used as it is; near its end a new one comes by itself.
    assert_eq!(
        oauth::access_token(&office.store, &oauth_provider, now())
            .unwrap()
            .as_str(),
        first
    );
    let later = now() + Duration::minutes(59);
    let renewed = oauth::access_token(&office.store, &oauth_provider, later).unwrap();
    assert_ne!(renewed.as_str(), first);
    assert_eq!(stored_token(&office, "access_token"), renewed.as_str());
    // The provider rotates refresh tokens; the store keeps the new one.
    assert_ne!(stored_token(&office, "refresh_token"), first_refresh);
    queued(&office, "Ayşe", "2260");
    let client = smtp_at(&office, later).unwrap();
    let report = outbox::sync(&office.store, &client, || later, false, |_, _| {}).unwrap();
    assert_eq!(report.sent, 1, "{report:?}");

    // An administrator ends the grant (or the worker's password changed).
    provider
        .revoke(&stored_token(&office, "refresh_token"))
        .unwrap();
    let waiting = queued(&office, "Mira", "2260");
    let much_later = later + Duration::hours(2);
    let error = smtp_at(&office, much_later).unwrap_err();
    assert!(
        matches!(error, OutboxError::OAuth(OAuthError::Lost)),
        "{error:?}"
    );
    assert_eq!(error.code(), "oauth.lost");
    assert!(
        error.to_string().contains("verlopen of ingetrokken")
            && error.to_string().contains("Meld je opnieuw aan"),
        "{error}"
    );
    assert_eq!(grant_state(&office), GrantState::Lost);
    // Nothing was tried: the package waits for the new sign-in, its attempts untouched.
    let item = outbox::list(&office.store, &office.gazetteer)
        .unwrap()
        .into_iter()
        .find(|i| i.reference == waiting.as_str())
        .unwrap();
    assert_eq!(item.state, ItemState::Queued);
    assert_eq!(item.attempts, 0);
    // The lost grant's tokens are gone, and it is known lost without asking the provider again.
    drop(provider);
    let error = smtp_at(&office, much_later).unwrap_err();
    assert!(
        matches!(error, OutboxError::OAuth(OAuthError::Lost)),
        "{error:?}"
    );
}

#[test]
fn refusing_at_the_provider_a_stray_request_and_a_cancel_each_end_clearly() {
    let provider = OAuthProvider::start().unwrap();
    let smtp = SmtpServer::start_with_oauth(&provider).unwrap();
    let office = Office::with_smtp();
    signing_in_with(&office, &provider, &smtp, None);
    let oauth_provider = settings::stored_provider(&office.store).unwrap();

    // The worker says no at the provider.
    let signing_in = oauth::start_browser(&oauth_provider, None).unwrap();
    let url = signing_in.url().to_owned();
    let error = std::thread::scope(|scope| {
        let worker = scope.spawn(|| provider.refuse_in_browser(&url, ACCOUNT));
        let error = signing_in
            .finish(&office.store, &AtomicBool::new(false), now)
            .unwrap_err();
        let page = worker.join().unwrap().unwrap();
        assert!(page.contains("Aanmelden is niet gelukt"), "{page}");
        error
    });
    assert!(
        matches!(&error, OutboxError::OAuth(OAuthError::Refused { said, .. }) if said.starts_with("access_denied")),
        "{error:?}"
    );
    assert_eq!(grant_state(&office), GrantState::None);

    // A request to the loopback without this sign-in's state is not taken for the answer; a
    // cancel then ends the wait.
    let signing_in = oauth::start_browser(&oauth_provider, None).unwrap();
    let port: u16 = signing_in
        .url()
        .split("localhost%3A")
        .nth(1)
        .and_then(|rest| rest.split('%').next())
        .and_then(|p| p.parse().ok())
        .unwrap();
    let cancel = AtomicBool::new(false);
    let error = std::thread::scope(|scope| {
        let stray = scope.spawn(|| {
            let answer = ureq::get(format!("http://127.0.0.1:{port}/?code=stolen&state=guess"))
                .config()
                .http_status_as_error(false)
                .build()
                .call()
                .unwrap();
            std::thread::sleep(std::time::Duration::from_millis(300));
            cancel.store(true, std::sync::atomic::Ordering::SeqCst);
            answer.status()
        });
        let error = signing_in.finish(&office.store, &cancel, now).unwrap_err();
        assert_eq!(stray.join().unwrap(), 404);
        error
    });
    assert!(
        matches!(error, OutboxError::OAuth(OAuthError::Cancelled)),
        "{error:?}"
    );
    assert_eq!(grant_state(&office), GrantState::None);
}

#[test]
fn the_mailbox_is_read_with_the_same_oauth_sign_in() {
    let provider = OAuthProvider::start().unwrap();
    let smtp = SmtpServer::start_with_oauth(&provider).unwrap();
    let mut imap_server = ImapServer::with_oauth(&provider, &smtp).unwrap();
    let office = Office::with_smtp();
    signing_in_with(&office, &provider, &smtp, Some(&imap_server));
    sign_in_in_browser(&office, &provider);

    let reference = queued(&office, "Zoë", "2260");
    let client = smtp_at(&office, now()).unwrap();
    outbox::sync(&office.store, &client, now, false, |_, _| {}).unwrap();
    let sent = outbox::list(&office.store, &office.gazetteer)
        .unwrap()
        .into_iter()
        .find(|i| i.reference == reference.as_str())
        .unwrap();
    imap_server
        .deliver(&imap::read_receipt(&sent.message_id))
        .unwrap();

    let mail = settings::load(&office.store).unwrap().unwrap();
    let mailbox = mail.imap(&office.store, now()).unwrap().unwrap();
    let report = receipts::check(&office.store, &mailbox, now).unwrap();
    assert_eq!(report.received, 1, "{report:?}");
    assert!(office.packages().archive(&reference).is_err());
}
