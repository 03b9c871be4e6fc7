//! The home visit, step by step: the client's data, the recipient, the five points, the answer.
//!
//! Each step is one function that takes what the UI has and returns what it shows next. The rules
//! themselves live in `residence`, `agreement`, `referral` and `consent`; this module only puts
//! them in the order the worker meets them. Nothing here needs a network.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::agreement::{Agreement, AgreementError, PartnerChoice};
use crate::consent::{self, ConsentError, Context, FivePoints, Language};
use crate::error::{Coded, FieldMessage};
use crate::package::{PackageError, Packages};
use crate::referral::{ClientData, ClientInput, Reference, Referral, ReferralError, Status};
use crate::residence::{Gazetteer, Municipality, Recipient, ResidenceError};
use crate::store::{Store, StoreError};
use crate::worker::{WorkerError, WorkerProfile};

/// What the form shows while the worker types a postal code.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ResidenceCheck {
    /// The municipalities of the postal code; more than one means the worker must choose.
    pub municipalities: Vec<Municipality>,
    /// The recipient's name once it is known and allowed.
    pub recipient_name: Option<String>,
    /// When several partners serve the address (Brussels' CAWs), the ones to choose from.
    pub partners: Vec<PartnerChoice>,
    /// Why this address cannot lead to a referral (Wallonia, no protocol, unknown code).
    pub problem: Option<FieldMessage>,
}

/// A new draft and the advice that goes with it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct Started {
    pub referral: Referral,
    pub warnings: Vec<FieldMessage>,
}

/// The worker's answer on the consent step.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct ConsentInput {
    pub reference: Reference,
    pub language: Language,
    /// Keys of the points the worker ticked as explained.
    pub explained: Vec<String>,
    /// The hash of the text the UI showed, so the record proves what the client saw.
    pub shown_sha256: String,
}

#[derive(Debug, Clone, Copy)]
pub struct Visit<'a> {
    store: &'a Store,
    gazetteer: &'a Gazetteer,
}

impl<'a> Visit<'a> {
    pub fn new(store: &'a Store, gazetteer: &'a Gazetteer) -> Self {
        Self { store, gazetteer }
    }

    /// Live feedback on a postal code (and the chosen municipality, if it is shared).
    pub fn check_residence(
        &self,
        postal_code: &str,
        municipality_code: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<ResidenceCheck, VisitError> {
        let problem = |municipalities, e: &dyn Coded| ResidenceCheck {
            municipalities,
            recipient_name: None,
            partners: Vec::new(),
            problem: Some(FieldMessage {
                field: e.field().unwrap_or("postal_code").to_owned(),
                message: e.to_string(),
            }),
        };
        let found = match self.gazetteer.lookup(postal_code) {
            Ok(found) => found,
            Err(e) => return Ok(problem(Vec::new(), &e)),
        };
        let chosen = found.chosen(municipality_code).map(|m| m.code.clone());
        let municipalities = found.into_municipalities();
        let Some(chosen) = chosen else {
            return Ok(ResidenceCheck {
                municipalities,
                recipient_name: None,
                partners: Vec::new(),
                problem: None,
            });
        };
        let recipient = match self.gazetteer.recipient(&chosen) {
            Ok(r) => r,
            Err(e) => return Ok(problem(municipalities, &e)),
        };
        let day = now.date_naive();
        match Agreement::active_for(self.store, self.gazetteer, &recipient, None, day) {
            Ok(protocol) => Ok(ResidenceCheck {
                municipalities,
                recipient_name: Some(match recipient {
                    Recipient::CawBrussel => {
                        Agreement::get(self.store, protocol.agreement_id())?.name
                    }
                    Recipient::Ocmw(_) => self.gazetteer.recipient_name(&recipient),
                }),
                partners: Vec::new(),
                problem: None,
            }),
            Err(AgreementError::Choose) => Ok(ResidenceCheck {
                municipalities,
                recipient_name: Some(self.gazetteer.recipient_name(&recipient)),
                partners: Agreement::choices(self.store, &recipient, day)?,
                problem: None,
            }),
            Err(AgreementError::Store(e)) => Err(e.into()),
            Err(e) => {
                let mut check = problem(municipalities, &e);
                if let Some(p) = &mut check.problem {
                    p.field = "municipality_code".into();
                }
                Ok(check)
            }
        }
    }

    /// [`Visit::start_with`] where one partner serves each address.
    pub fn start(
        &self,
        input: &ClientInput,
        now: DateTime<FixedOffset>,
    ) -> Result<Started, VisitError> {
        self.start_with(input, None, now)
    }

    /// Validates the client's data and stores a draft, if a protocol with the recipient is in
    /// force today. `partner` is the worker's choice when several partners serve the address
    /// (Brussels' CAWs); otherwise `None`.
    pub fn start_with(
        &self,
        input: &ClientInput,
        partner: Option<i64>,
        now: DateTime<FixedOffset>,
    ) -> Result<Started, VisitError> {
        // The worker's identity goes into the five points, the consent record and the package:
        // ask for it now, not after the client has listened to all five points.
        WorkerProfile::load(self.store)?.require_complete()?;
        let (client, recipient) =
            ClientData::validate(input, self.gazetteer).map_err(ReferralError::from)?;
        let protocol = Agreement::active_for(
            self.store,
            self.gazetteer,
            &recipient,
            partner,
            now.date_naive(),
        )?;
        let referral = Referral::create_draft(self.store, self.gazetteer, &client, &protocol, now)?;
        Ok(Started {
            warnings: client.warnings(),
            referral,
        })
    }

    /// The five points for a draft, in the language the worker picked for the client.
    pub fn five_points(
        &self,
        reference: &Reference,
        language: Language,
        now: DateTime<FixedOffset>,
    ) -> Result<FivePoints, VisitError> {
        let (referral, client, agreement) = self.draft(reference, now)?;
        let worker = WorkerProfile::load(self.store)?;
        let contact = worker_contact(&worker);
        let ctx = Context {
            recipient_name: &referral.recipient_name,
            dpo_email: &agreement.dpo_email,
            worker_contact: &contact,
        };
        Ok(FivePoints::render(
            &consent::current_version()?,
            language,
            &client,
            &ctx,
        )?)
    }

    /// Records consent after all five points were explained, and makes the referral ready.
    pub fn consent(
        &self,
        input: &ConsentInput,
        now: DateTime<FixedOffset>,
    ) -> Result<Referral, VisitError> {
        let shown = self.five_points(&input.reference, input.language, now)?;
        if shown.sha256 != input.shown_sha256 {
            return Err(ConsentError::TextChanged.into());
        }
        let (referral, _, agreement) = self.draft(&input.reference, now)?;
        let protocol = agreement.in_force_on(now.date_naive())?;
        let worker = WorkerProfile::load(self.store)?;
        let record = shown.explained(&input.explained)?.consent(
            referral.reference.clone(),
            referral.recipient.clone(),
            &worker.name,
            now,
        )?;
        // Consent, package and outbox item in one transaction: a crash at any moment leaves
        // either no consent or a consented package on its way, never a consent nobody sends.
        let tx = self.store.transaction()?;
        Referral::mark_ready(self.store, &record, &protocol)?;
        Packages::new(self.store, self.gazetteer).build(&input.reference, now)?;
        tx.commit()?;
        Ok(Referral::get(self.store, self.gazetteer, &input.reference)?)
    }

    /// Records a refusal: the client's data are gone at once.
    /// The client refuses, after `explained` (the points ticked so far; a refusal may come at
    /// any moment, before any of them too).
    pub fn refuse(
        &self,
        reference: &Reference,
        explained: &[String],
        now: DateTime<FixedOffset>,
    ) -> Result<Referral, VisitError> {
        let all = crate::consent::all_explained(explained);
        Referral::refuse(self.store, reference, all, now)?;
        Ok(Referral::get(self.store, self.gazetteer, reference)?)
    }

    fn draft(
        &self,
        reference: &Reference,
        now: DateTime<FixedOffset>,
    ) -> Result<(Referral, ClientData, Agreement), VisitError> {
        let referral = Referral::get(self.store, self.gazetteer, reference)?;
        let client = match (&referral.status, &referral.client) {
            (Status::Draft, Some(client)) => client.clone(),
            // Not finished in time, or deleted: nothing was recorded, the data are gone.
            (Status::Draft, None) => return Err(ReferralError::Wiped(reference.clone()).into()),
            _ => return Err(ReferralError::NotADraft(reference.clone()).into()),
        };
        let agreement = crate::referral::partner(self.store, referral.id)?;
        agreement.in_force_on(now.date_naive())?;
        Ok((referral, client, agreement))
    }
}

fn worker_contact(worker: &WorkerProfile) -> String {
    let phone = crate::contact::shown(&worker.phone);
    [&worker.name, &worker.team, &phone]
        .into_iter()
        .filter(|s| !s.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join(", ")
}

/// Any reason a step of the visit cannot go on; each keeps its own module's code and message.
#[derive(Debug, thiserror::Error, Coded)]
#[coded(prefix = "visit")]
pub enum VisitError {
    #[error(transparent)]
    Referral(#[from] ReferralError),
    #[error(transparent)]
    Agreement(#[from] AgreementError),
    #[error(transparent)]
    Consent(#[from] ConsentError),
    #[error(transparent)]
    Residence(#[from] ResidenceError),
    #[error(transparent)]
    Worker(#[from] WorkerError),
    #[error(transparent)]
    Package(#[from] PackageError),
    #[error(transparent)]
    Store(#[from] StoreError),
}
