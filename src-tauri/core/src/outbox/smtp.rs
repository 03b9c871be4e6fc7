//! Delivery by SMTP, through `lettre`: STARTTLS or implicit TLS, always with authentication
//! offered when configured, never in clear text over the network.

use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{SmtpTransport, Transport as _};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use zeroize::Zeroizing;

use super::mail::OutgoingMail;
use super::{DeliveryError, Transport};

/// How the connection to the mail server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Security {
    /// Plain connection upgraded with STARTTLS before anything is sent (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// Where and how to deliver.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    pub password: Zeroizing<String>,
    /// An extra certificate authority to trust (PEM), e.g. a team's own mail server CA.
    pub extra_root_pem: Option<Vec<u8>>,
    pub timeout: Duration,
}

/// A configured SMTP connection.
#[derive(Debug)]
pub struct Smtp {
    transport: SmtpTransport,
}

impl Smtp {
    pub fn new(settings: &SmtpSettings) -> Result<Self, SmtpError> {
        let mut tls = TlsParameters::builder(settings.host.clone());
        if let Some(pem) = &settings.extra_root_pem {
            tls = tls.add_root_certificate(
                Certificate::from_pem(pem).map_err(|e| SmtpError::Certificate(e.to_string()))?,
            );
        }
        let tls = tls
            .build()
            .map_err(|e| SmtpError::Certificate(e.to_string()))?;
        let mut builder = SmtpTransport::builder_dangerous(settings.host.clone())
            .port(settings.port)
            .timeout(Some(settings.timeout))
            .tls(match settings.security {
                Security::StartTls => Tls::Required(tls),
                Security::Tls => Tls::Wrapper(tls),
            });
        if !settings.username.is_empty() {
            builder = builder.credentials(Credentials::new(
                settings.username.clone(),
                settings.password.to_string(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
        })
    }

    /// Whether the server answers at all: used to start a sync when the network comes back.
    pub fn reachable(&self) -> bool {
        self.transport.test_connection().unwrap_or(false)
    }
}

impl Transport for Smtp {
    fn deliver(&self, mail: &OutgoingMail) -> Result<(), DeliveryError> {
        let envelope = Envelope::new(Some(mail.from.clone()), vec![mail.to.clone()])
            .map_err(|e| DeliveryError::Permanent(e.to_string()))?;
        self.transport
            .send_raw(&envelope, &mail.bytes)
            .map(drop)
            .map_err(|e| {
                let why = e.to_string();
                if e.is_permanent() {
                    DeliveryError::Permanent(why)
                } else if e.is_transient() {
                    DeliveryError::Transient(why)
                } else {
                    DeliveryError::Interrupted(why)
                }
            })
    }
}

/// Why the SMTP settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error("Het certificaat voor de mailserver is onbruikbaar: {0}")]
    Certificate(String),
}
