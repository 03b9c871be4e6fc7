//! Outbox flush: 100 queued packages to a real SMTP server on loopback (aiosmtpd with STARTTLS and
//! AUTH), timed. Target: under 5 s. Run with `cargo bench -p aanmelder-core --bench outbox`.

use std::time::{Duration, Instant};

use aanmelder_core::consent::Language;
use aanmelder_core::outbox::{self, smtp::Security, smtp::Smtp, smtp::SmtpSettings};
use aanmelder_e2e::smtp::{self, SmtpServer};
use zeroize::Zeroizing;

#[path = "../tests/support/mod.rs"]
mod support;

const PACKAGES: usize = 100;

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
        username: smtp::USER.into(),
        password: Zeroizing::new(smtp::PASSWORD.into()),
        extra_root_pem: Some(server.cert.clone()),
        timeout: Duration::from_secs(30),
    })?;
    let start = Instant::now();
    let report = outbox::sync(&office.store, &client, support::now, |_, _| {})?;
    let flush = start.elapsed();
    if report.sent as usize != PACKAGES || server.received().len() != PACKAGES {
        return Err(format!("only {} of {PACKAGES} delivered", report.sent).into());
    }
    println!("outbox flush: {PACKAGES} packages to loopback SMTP (STARTTLS, AUTH)");
    println!(
        "  (building the {PACKAGES} packages took {:.1} s, not counted)",
        setup.as_secs_f64()
    );
    println!(
        "  flush {:.2} s, {:.1} ms a package (target < 5 s: {})",
        flush.as_secs_f64(),
        flush.as_secs_f64() * 1e3 / PACKAGES as f64,
        if flush < Duration::from_secs(5) {
            "met"
        } else {
            "NOT met"
        }
    );
    Ok(())
}
