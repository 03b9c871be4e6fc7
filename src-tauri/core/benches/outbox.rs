//! Outbox flush: 100 queued packages to a real SMTP server on loopback (aiosmtpd with STARTTLS and
//! AUTH), timed side by side with a peer in the same run: Python's smtplib sending the same mail
//! 100 times, once with a connection per mail and once with one connection for all. Target: ours
//! no slower than the faster peer, and under 0.5 s. Run with
//! `cargo bench -p aanmelder-core --bench outbox`.

use std::time::{Duration, Instant};

use aanmelder_core::consent::Language;
use aanmelder_core::outbox::{self, smtp::Security, smtp::SignIn, smtp::Smtp, smtp::SmtpSettings};
use aanmelder_e2e::smtp::{self, SmtpServer};
use zeroize::Zeroizing;

#[path = "../tests/support/mod.rs"]
mod support;

const PACKAGES: usize = 100;

/// A transport that takes every mail at once, to time the store's part of a sync alone.
struct TakesAll;

impl outbox::Transport for TakesAll {
    fn deliver(&self, mail: outbox::Pending<'_>) -> Result<(), outbox::DeliveryError> {
        mail.claimed().map(|_| ())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = SmtpServer::start()?;
    let office = support::Office::with_smtp();
    let setup = Instant::now();
    for i in 0..PACKAGES {
        let postal_code = ["2260", "3290", "1000"][i % 3];
        let client = support::client("Zoë", "Bench", postal_code);
        let reference = office.consented(&client, Language::Nl, support::now());
        office.packages().build(&reference, support::now())?;
    }
    let setup = setup.elapsed();
    let client = Smtp::new(&SmtpSettings {
        host: "localhost".into(),
        port: server.port,
        security: Security::StartTls,
        sign_in: SignIn::Password {
            username: smtp::USER.into(),
            password: Zeroizing::new(smtp::PASSWORD.into()),
        },
        extra_root_pem: Some(server.cert.clone()),
        timeout: Duration::from_secs(30),
    })?;
    let server_before = server.cpu_time();
    let start = Instant::now();
    let report = outbox::sync(&office.store, &client, support::now, false, |_, _| {})?;
    let flush = start.elapsed();
    let server_busy = (server.cpu_time() - server_before).as_secs_f64();
    if report.sent as usize != PACKAGES || server.received().len() != PACKAGES {
        return Err(format!("only {} of {PACKAGES} delivered", report.sent).into());
    }
    // The peer sends one of our own mails, so both move the same bytes.
    let dir = tempfile::tempdir()?;
    let cert = dir.path().join("cert.pem");
    std::fs::write(&cert, &server.cert)?;
    let sample = server
        .received()
        .first()
        .cloned()
        .ok_or("no mail arrived")?;
    let peer = |mode: &str| -> Result<f64, Box<dyn std::error::Error>> {
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/support/smtp_peer.py");
        let out = std::process::Command::new("python3")
            .arg(script)
            .arg(server.port.to_string())
            .arg(&cert)
            .args([smtp::USER, smtp::PASSWORD])
            .arg(&sample)
            .arg(PACKAGES.to_string())
            .arg(mode)
            .output()?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned().into());
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().parse()?)
    };
    // The store's share: the same sync of 100 more packages, with a transport that takes each
    // mail at once. What is left of ours is the wire and the server.
    for i in 0..PACKAGES {
        let postal_code = ["2260", "3290", "1000"][i % 3];
        let client = support::client("Zoë", "Bench", postal_code);
        let reference = office.consented(&client, Language::Nl, support::now());
        office.packages().build(&reference, support::now())?;
    }
    let start = Instant::now();
    let stored = outbox::sync(&office.store, &TakesAll, support::now, false, |_, _| {})?;
    let store_only = start.elapsed().as_secs_f64();
    if stored.sent as usize != PACKAGES {
        return Err("the store-only sync did not record every package".into());
    }
    let per_mail = peer("per")?;
    let one_for_all = peer("one")?;
    let ours = flush.as_secs_f64();
    let best = per_mail.min(one_for_all);
    println!("outbox flush: {PACKAGES} packages to loopback SMTP (STARTTLS, AUTH), one run");
    println!(
        "  (building the {PACKAGES} packages took {:.1} s, not counted)",
        setup.as_secs_f64()
    );
    println!(
        "  aanmelder outbox::sync            {ours:>6.2} s  ({:.1} ms a package)",
        ours * 1e3 / PACKAGES as f64
    );
    println!(
        "    of which the store (claim, record, log; fsync'd), with no wire: {store_only:.2} s"
    );
    println!(
        "    the server's own processor time meanwhile (aiosmtpd, one process): {server_busy:.2} s"
    );
    println!("  smtplib, a connection per mail    {per_mail:>6.2} s");
    println!("  smtplib, one connection for all   {one_for_all:>6.2} s");
    let ratio = ours / best;
    println!(
        "  ratio ours/best peer {ratio:.2} (target ≤ 1.00: {}); under 0.5 s: {}",
        if ratio <= 1.0 { "met" } else { "NOT met" },
        if ours < 0.5 { "met" } else { "NOT met" }
    );
    Ok(())
}
