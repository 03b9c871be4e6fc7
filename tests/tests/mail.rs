//! Mail in the agency, in the real window: the team's mail server down and back, a partner's
//! mailbox that does not exist, a server that falls silent after the whole mail, the OCMW's
//! read receipt arriving in the worker's mailbox, and a sender address the server refuses.
//! The servers are real and on loopback: aiosmtpd for sending, Dovecot for the mailbox.
//!
//! Ignored by a plain `cargo test`: it needs the built app, `tauri-driver`, an X display and a
//! Secret Service. `scripts/test.sh` provides all four and runs it with `--ignored`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use aanmelder_e2e::imap::{self, ImapServer};
use aanmelder_e2e::smtp::{self, SmtpServer};
use aanmelder_e2e::{Driver, Partner, Session, screenshot_dir};

const WAIT: Duration = Duration::from_secs(30);

/// Walks one client from the new-referral form to consent; returns the reference.
fn consented(app: &Session<'_>, first: &str, postal_code: &str) -> String {
    aanmelder_e2e::reference_in(&app.consented(first, "Peeters", postal_code).unwrap())
}

/// Sets the team's mail server under Instellingen, and the worker's mailbox when given, and
/// saves them.
fn set_mail_server(app: &Session<'_>, server: &SmtpServer, mailbox: Option<&ImapServer>) {
    let mut fields = vec![
        ("#host", "localhost".to_owned()),
        ("#port", server.port.to_string()),
        ("#username", smtp::USER.to_owned()),
        ("#smtp_password", smtp::PASSWORD.to_owned()),
        ("#ca_pem", String::from_utf8(server.cert.clone()).unwrap()),
    ];
    if let Some(mailbox) = mailbox {
        fields.push(("#imap_host", "localhost".to_owned()));
        fields.push(("#imap_port", mailbox.port.to_string()));
    }
    for (id, value) in &fields {
        app.fill_in(id, value).unwrap();
    }
    app.press("#save-smtp").unwrap();
    app.wait_for_text("#smtp-status", "bewaard", WAIT).unwrap();
}

fn row(app: &Session<'_>, reference: &str, needle: &str) -> String {
    match app.wait_for_text(&format!("tr[data-reference='{reference}']"), needle, WAIT) {
        Ok(text) => text,
        Err(e) => {
            app.screenshot(&screenshot_dir().join("mail-failed.png"))
                .unwrap();
            panic!("{e}; the screen says: {}", app.said());
        }
    }
}

#[test]
#[ignore = "drives the real window: run through scripts/test.sh"]
fn the_server_down_and_back_a_wrong_mailbox_and_a_read_receipt_as_a_worker_meets_them() {
    // The team's mail server is down at first: nothing listens on its port.
    let mut server = SmtpServer::start().unwrap();
    server.stop();
    let mut mailbox = ImapServer::beside(&server).unwrap();
    let (_data, driver) = Driver::fresh(4500).unwrap();
    let app = driver.launch().unwrap();
    app.past_first_start().unwrap();
    app.fill_worker_settings().unwrap();
    set_mail_server(&app, &server, Some(&mailbox));
    app.add_partner(&Partner {
        mail_program: false,
        ..Partner::WESTERLO
    })
    .unwrap();
    app.add_partner(&Partner {
        mail_program: false,
        mailbox: "onbekend@ocmw-diest.example",
        ..Partner::DIEST
    })
    .unwrap();
    let zoe = consented(&app, "Zoë", "2260");

    // Down: the row says in Dutch what happened, what to do, and when it is tried next.
    app.click(&app.button("Verzenden").unwrap()).unwrap();
    app.press("#sync-now").unwrap();
    app.wait_for_text("#sync-error", "niet bereikbaar", WAIT)
        .unwrap();
    let down = row(&app, &zoe, "Volgende poging");
    assert!(
        down.contains("De mailserver van het team is niet bereikbaar"),
        "{down}"
    );
    assert!(down.contains("Technische melding voor ICT"), "{down}");
    assert!(
        !down.contains("Connection error"),
        "English only for IT: {down}"
    );

    // Back: one press sends at once, without waiting out the back-off.
    server.resume().unwrap();
    app.press("#sync-now").unwrap();
    app.wait_for_text("#sync-status", "1 verzonden", WAIT)
        .unwrap();
    row(&app, &zoe, "Verzonden · wacht op bevestiging");
    assert_eq!(server.received().len(), 1);

    // A partner's mailbox that does not exist leads to that partner's form.
    let ayse = consented(&app, "Ayşe", "3290");
    app.click(&app.button("Verzenden").unwrap()).unwrap();
    app.press("#sync-now").unwrap();
    app.wait_for_text("#sync-status", "aandacht nodig", WAIT)
        .unwrap();
    let refused = row(&app, &ayse, "bestaat niet");
    assert!(refused.contains("OCMW Diest"), "{refused}");
    app.screenshot(&screenshot_dir().join("outbox-mailbox-unknown.png"))
        .unwrap();
    app.click(
        &app.button_labelled("Adres nakijken bij Partners: OCMW Diest")
            .unwrap(),
    )
    .unwrap();
    let field = app.wait_for("#mailbox", WAIT).unwrap();
    assert_eq!(app.value(&field).unwrap(), "onbekend@ocmw-diest.example");

    // Fixed, and sent again; this time the server takes the whole mail and falls silent. The
    // app cannot know whether it went: it says so, sends it no second time by itself, and the
    // worker, having asked the OCMW, settles it.
    app.fill(&field, "zwijgen@ocmw-diest.example").unwrap();
    app.click(&app.button("Bewaren").unwrap()).unwrap();
    app.wait_for_text("#agreements-status", "is bewaard", WAIT)
        .unwrap();
    app.click(&app.button("Verzenden").unwrap()).unwrap();
    app.click(
        &app.button_labelled(&format!("Opnieuw verzenden: {ayse}"))
            .unwrap(),
    )
    .unwrap();
    // As the worker sees the row change before pressing on: the row loses its explanation, the
    // page gets shorter, and a press while it does could land where the button no longer is.
    app.wait_for(
        &format!("tr[data-reference='{ayse}']:not([data-state='attention'])"),
        WAIT,
    )
    .unwrap();
    app.press("#sync-now").unwrap();
    app.wait_for_text("#sync-status", "1 mogelijk al verzonden", WAIT)
        .unwrap();
    let doubt = row(&app, &ayse, "Mogelijk al verzonden");
    assert!(
        doubt.contains("volledig verstuurd") && doubt.contains("OCMW Diest"),
        "{doubt}"
    );
    assert_eq!(server.received().len(), 2, "the server kept it");
    app.press("#sync-now").unwrap();
    app.wait_for_text("#sync-status", "niets te verzenden", WAIT)
        .unwrap();
    assert_eq!(server.received().len(), 2, "not sent a second time");
    app.click(&app.button_labelled(&format!("Kwam aan: {ayse}")).unwrap())
        .unwrap();
    // The partner said it has it: that is its receipt, not a send still waiting for one.
    let arrived = row(&app, &ayse, "Verzonden op");
    assert!(arrived.contains("ontvangst bevestigd op"), "{arrived}");

    // The OCMW's mail program sends a read receipt; the app finds it in the worker's mailbox,
    // and the kept package and its password are destroyed.
    let mail = std::fs::read_to_string(&server.received()[0]).unwrap();
    let message_id = mail
        .lines()
        .find_map(|l| l.strip_prefix("Message-ID: "))
        .unwrap()
        .trim()
        .to_owned();
    assert!(
        mail.contains("Disposition-Notification-To:"),
        "a receipt is asked for"
    );
    mailbox
        .deliver_to(smtp::USER, &imap::read_receipt(&message_id))
        .unwrap();
    mailbox.deliver_to(smtp::USER, &imap::unrelated()).unwrap();
    app.click(&app.button("Verzenden").unwrap()).unwrap();
    app.press("#check-receipts").unwrap();
    app.wait_for_text("#receipts-status", "1 ontvangstbevestiging", WAIT)
        .unwrap();
    // Received, but the worker has not passed the password on yet: it stays until then.
    let received = row(&app, &zoe, "Ontvangen door de partner");
    assert!(
        received.contains("Geef het wachtwoord nog door"),
        "{received}"
    );
    app.click(&app.button("Aanmeldingen").unwrap()).unwrap();
    app.click(
        &app.wait_for_xpath(&format!("//button[@aria-label='Pakket van {zoe}']"), WAIT)
            .unwrap(),
    )
    .unwrap();
    // A copy of the archive the worker saved goes with it, once the password is passed on.
    let saved = tempfile::tempdir().unwrap();
    app.fill_in("#folder", &saved.path().display().to_string())
        .unwrap();
    app.press("#save-package").unwrap();
    app.wait_for_text("#saved-status", "Bewaard", WAIT).unwrap();
    let copy = saved.path().join(format!("aanmelding-{zoe}.7z"));
    assert!(copy.is_file(), "saved at {}", copy.display());
    // Passed on to a partner that has the package: nothing is left to keep.
    app.press("#password-passed-button").unwrap();
    app.wait_for_text("#destroyed-title", "vernietigd", WAIT)
        .unwrap();
    assert!(!copy.exists(), "the saved copy went with the archive");
    app.click(&app.button("Verzenden").unwrap()).unwrap();
    let received = row(&app, &zoe, "bestand en wachtwoord vernietigd");
    assert!(received.contains("Ontvangen door de partner"), "{received}");
    app.screenshot(&screenshot_dir().join("outbox-received.png"))
        .unwrap();
    app.click(&app.button("Aanmeldingen").unwrap()).unwrap();
    let listed = app
        .wait_for_text(
            &format!("tr[data-reference='{zoe}']"),
            "Ontvangen door de partner",
            WAIT,
        )
        .unwrap();
    assert!(
        app.wait_for_xpath(
            &format!("//button[@aria-label='Pakket van {zoe}']"),
            Duration::from_secs(1)
        )
        .is_err(),
        "no package to open once destroyed: {listed}"
    );

    // The log names the partners and the failed connection, never a code like ocmw:13049.
    app.click(&app.button("Logboek").unwrap()).unwrap();
    let log = app
        .wait_for_text("#ledger-list", "OCMW Westerlo", WAIT)
        .unwrap();
    assert!(!log.contains("ocmw:"), "{log}");
    for needle in [
        "Mailserver niet bereikbaar",
        "Bestand en wachtwoord vernietigd",
    ] {
        assert!(log.contains(needle), "{needle} in {log}");
    }
    app.close().unwrap();

    // The mailbox was asked about our mail only: the unrelated one was never fetched.
    let asked = mailbox.commands().join("\n");
    assert!(
        !asked.contains("BODY[]") || asked.contains("BODY.PEEK[]"),
        "{asked}"
    );
}

/// Waits for the app to open the system browser; returns the address it opened.
fn opened_in_browser(log: &std::path::Path) -> String {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        if let Some(url) = std::fs::read_to_string(log)
            .ok()
            .and_then(|t| t.lines().last().map(str::to_owned))
        {
            return url;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the app did not open the browser (xdg-open and $BROWSER)"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
#[ignore = "drives the real window: run through scripts/test.sh"]
fn a_worker_signs_in_with_oauth_in_the_browser_and_with_a_code_and_mail_goes_by_xoauth2() {
    use aanmelder_e2e::oauth::{self, OAuthProvider};
    let provider = OAuthProvider::start().unwrap();
    let server = SmtpServer::start_with_oauth(&provider).unwrap();
    let data = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let log = outside.path().join("browser.log");
    let browser = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("support/browser.sh");
    let driver = Driver::start(
        4510,
        &[
            ("AANMELDER_DATA_DIR", data.path()),
            ("BROWSER", browser.as_path()),
            ("AANMELDER_TEST_BROWSER_LOG", log.as_path()),
        ],
    )
    .unwrap();
    let app = driver.launch().unwrap();
    app.past_first_start().unwrap();
    app.fill_worker_settings().unwrap();
    app.click(
        &app.wait_for("#sign_in option[value='oauth']", WAIT)
            .unwrap(),
    )
    .unwrap();
    let port = server.port.to_string();
    let cert = String::from_utf8(server.cert.clone()).unwrap();
    let (authorize, token, device) = (
        provider.authorize_url(),
        provider.token_url(),
        provider.device_url(),
    );
    for (id, value) in [
        ("#oauth_authorize_url", authorize.as_str()),
        ("#oauth_token_url", token.as_str()),
        ("#oauth_device_url", device.as_str()),
        ("#oauth_client_id", oauth::CLIENT_ID),
        ("#oauth_scopes", oauth::SCOPES),
        ("#host", "localhost"),
        ("#port", port.as_str()),
        ("#username", imap::USER),
        ("#ca_pem", cert.as_str()),
    ] {
        app.fill_in(id, value).unwrap();
    }
    app.click(&app.button("Aanmelden in de browser").unwrap())
        .unwrap();
    let url = opened_in_browser(&log);
    let page = provider.sign_in_in_browser(&url, imap::USER).unwrap();
    assert!(page.contains("Je bent aangemeld"), "{page}");
    app.wait_for_text("#signin-state", "Aangemeld als an.peeters@example.be", WAIT)
        .unwrap();
    app.screenshot(&screenshot_dir().join("settings-oauth.png"))
        .unwrap();

    app.add_partner(&Partner {
        mail_program: false,
        ..Partner::WESTERLO
    })
    .unwrap();
    consented(&app, "Zoë", "2260");
    app.click(&app.button("Verzenden").unwrap()).unwrap();
    app.press("#sync-now").unwrap();
    app.wait_for_text("#sync-status", "1 verzonden", WAIT)
        .unwrap();
    assert_eq!(server.xoauth2_sign_ins(), [format!("{} ok", imap::USER)]);

    // Signed out, the outbox says what to do and leads back to the settings.
    app.click(&app.button("Instellingen").unwrap()).unwrap();
    app.click(&app.button("Afmelden").unwrap()).unwrap();
    app.wait_for_text("#signin-state", "Nog niet aangemeld", WAIT)
        .unwrap();
    consented(&app, "Jan", "2260");
    app.click(&app.button("Verzenden").unwrap()).unwrap();
    app.press("#sync-now").unwrap();
    app.wait_for_text("#sync-error", "nog niet aangemeld", WAIT)
        .unwrap();
    app.click(&app.button("Opnieuw aanmelden").unwrap())
        .unwrap();

    // Now with a code, as on a computer whose browser cannot reach back.
    app.click(&app.button("Aanmelden met een code").unwrap())
        .unwrap();
    let code = app
        .text(&app.wait_for("#device-code", WAIT).unwrap())
        .unwrap();
    let shown = app
        .text(&app.wait_for("#device-code-text", WAIT).unwrap())
        .unwrap();
    let device_page = format!("{}/device", provider.issuer());
    assert!(shown.contains(&device_page), "{shown}");
    let done = provider
        .enter_device_code(&device_page, &code, imap::USER)
        .unwrap();
    assert!(done.contains("Sign-in Success"), "{done}");
    app.wait_for_text("#signin-state", "Aangemeld als", WAIT)
        .unwrap();
    app.click(&app.button("Verzenden").unwrap()).unwrap();
    app.press("#sync-now").unwrap();
    app.wait_for_text("#sync-status", "1 verzonden", WAIT)
        .unwrap();
    app.close().unwrap();
    assert_eq!(server.received().len(), 2);
}

#[test]
#[ignore = "drives the real window: run through scripts/test.sh"]
fn a_refused_sender_address_leads_to_the_settings_and_sends_once_fixed() {
    let server = SmtpServer::start().unwrap();
    let (_data, driver) = Driver::fresh(4570).unwrap();
    let app = driver.launch().unwrap();
    app.past_first_start().unwrap();
    app.fill_worker_settings().unwrap();
    // An address the team's server does not let this account send from.
    app.fill_in("#email", "an.peeters@vreemd.example").unwrap();
    app.press("#save-settings").unwrap();
    app.wait_for_text("#settings-status", "bewaard", WAIT)
        .unwrap();
    set_mail_server(&app, &server, None);
    app.add_partner(&Partner {
        mail_program: false,
        ..Partner::WESTERLO
    })
    .unwrap();
    let zoe = consented(&app, "Zoë", "2260");

    // Refused at MAIL FROM: the worker is told it is about their own address, not the partner,
    // and the button goes where that address is set.
    app.click(&app.button("Verzenden").unwrap()).unwrap();
    app.press("#sync-now").unwrap();
    let said = app
        .wait_for_text("#sync-error", "weigert je e-mailadres", WAIT)
        .unwrap();
    assert!(said.contains("Er is niets verzonden"), "{said}");
    let waiting = row(&app, &zoe, "weigert je e-mailadres");
    assert!(
        !waiting.contains("Partners"),
        "no partner to blame: {waiting}"
    );
    assert!(server.received().is_empty());
    app.click(&app.button("Instellingen openen").unwrap())
        .unwrap();
    let email = app.wait_for("#email", WAIT).unwrap();
    assert_eq!(app.value(&email).unwrap(), "an.peeters@vreemd.example");

    // Fixed: one press sends it.
    app.fill(&email, "an.peeters@example.be").unwrap();
    app.press("#save-settings").unwrap();
    app.wait_for_text("#settings-status", "bewaard", WAIT)
        .unwrap();
    app.click(&app.button("Verzenden").unwrap()).unwrap();
    app.press("#sync-now").unwrap();
    app.wait_for_text("#sync-status", "1 verzonden", WAIT)
        .unwrap();
    row(&app, &zoe, "Verzonden · wacht op bevestiging");
    assert_eq!(server.received().len(), 1);
    app.close().unwrap();
}
