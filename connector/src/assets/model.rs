//! Assets, their offers and the contract templates offers are made from, as stored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::negotiation::tck::ProviderScript;
use crate::store::Record;

/// Where an asset's data comes from. Never shown to counterparties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum AssetSource {
    /// Not known yet (e.g. imported metadata only).
    None,
    /// A local file or folder.
    File {
        /// The path.
        path: String,
    },
    /// A named source from the configuration's `[sources]` (internal HTTP endpoints keep their
    /// URL and credentials there).
    Source {
        /// The name.
        name: String,
    },
    /// A public URL (as imported from an open catalogue's distribution).
    Url {
        /// The URL.
        url: String,
    },
}

/// A dataset this connector can offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Asset {
    /// Its identifier (the DSP dataset id).
    pub id: String,
    /// Title (German).
    pub title: String,
    /// Description (German).
    pub description: String,
    /// Keywords.
    pub keywords: Vec<String>,
    /// EU data themes (codes such as `ENER`, or full IRIs).
    pub themes: Vec<String>,
    /// The municipality key (AGS, 8 digits) of the area the data covers.
    pub ags: Option<String>,
    /// Licence IRI.
    pub license: Option<String>,
    /// Publisher name.
    pub publisher: Option<String>,
    /// Personal-adjacent data (aggregate-only access; Charta GW-6/7).
    pub personal_adjacent: bool,
    /// Where the data comes from.
    pub source: AssetSource,
    /// Where the metadata came from (an import file and row or dataset IRI).
    pub origin: Option<String>,
    /// Created.
    pub created_ms: i64,
    /// Last changed.
    pub updated_ms: i64,
}

impl Record for Asset {
    const SCHEMA_VERSION: u32 = 1;
}

/// Who approves requests for an offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalMode {
    /// The connector agrees when the evaluation permits.
    Automatic,
    /// An operator approves each request.
    Manual,
}

/// The template an offer was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TemplateRef {
    /// The template id.
    pub id: String,
    /// Its version.
    pub version: String,
}

/// An offer: the terms under which an asset is available.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Offer {
    /// The offer's `@id`.
    pub id: String,
    /// The asset.
    pub asset_id: String,
    /// The template it was rendered from (none for TCK seeds).
    pub template: Option<TemplateRef>,
    /// The parameter values it was rendered with.
    pub parameters: BTreeMap<String, String>,
    /// The ODRL offer (DSP JSON, without `target`).
    pub policy: Value,
    /// The rendered German contract (Markdown).
    pub contract_markdown: String,
    /// SHA-256 (hex) of the contract text.
    pub contract_sha256: String,
    /// Who approves requests.
    pub approval: ApprovalMode,
    /// Who may see and request the offer: an ODRL policy over the recipient's attributes
    /// (`gwd:recipientType`, `gwd:recipientAgs`, …). `None`: every admitted member.
    pub visibility: Option<Value>,
    /// TCK mode: the scenario script.
    pub tck: Option<ProviderScript>,
    /// Created.
    pub created_ms: i64,
}

impl Record for Offer {
    const SCHEMA_VERSION: u32 = 1;
}

/// A stored contract template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TemplateRecord {
    /// Its id.
    pub id: String,
    /// Its version.
    pub version: String,
    /// Its title.
    pub title: String,
    /// The template file's text.
    pub source: String,
    /// SHA-256 of the text.
    pub sha256: String,
    /// Added.
    pub added_ms: i64,
}

impl Record for TemplateRecord {
    const SCHEMA_VERSION: u32 = 1;
}

/// The extension member carrying the German contract text inside a catalog offer.
pub const CONTRACT_TEXT_MEMBER: &str = "https://w3id.org/gemeinwohl-datenraum/ns#contractText";
/// The extension member carrying the contract text's SHA-256 inside a catalog offer.
pub const CONTRACT_SHA256_MEMBER: &str = "https://w3id.org/gemeinwohl-datenraum/ns#contractSha256";
/// The extension member naming the approval mode inside a catalog offer.
pub const APPROVAL_MEMBER: &str = "https://w3id.org/gemeinwohl-datenraum/ns#approval";

impl Offer {
    /// The offer as listed in a dataset's `hasPolicy`: the policy plus the contract text.
    pub fn catalog_json(&self) -> Value {
        let mut policy = self.policy.clone();
        if let Value::Object(m) = &mut policy {
            m.remove("target");
            m.insert("@id".into(), self.id.clone().into());
            m.insert("@type".into(), "Offer".into());
            m.insert(
                CONTRACT_TEXT_MEMBER.into(),
                self.contract_markdown.clone().into(),
            );
            m.insert(
                CONTRACT_SHA256_MEMBER.into(),
                self.contract_sha256.clone().into(),
            );
            m.insert(
                APPROVAL_MEMBER.into(),
                match self.approval {
                    ApprovalMode::Automatic => "automatic",
                    ApprovalMode::Manual => "manual",
                }
                .into(),
            );
        }
        policy
    }

    /// The offer as a negotiation message carries it: with `target`, without the text.
    pub fn message_json(&self) -> Value {
        message_offer(&self.policy, &self.id, &self.asset_id)
    }
}

/// A policy prepared for a negotiation message: `@id`, `@type` Offer, `target`, and without
/// the catalog's contract-text members.
pub fn message_offer(policy: &Value, offer_id: &str, target: &str) -> Value {
    let mut policy = policy.clone();
    if let Value::Object(m) = &mut policy {
        m.remove(CONTRACT_TEXT_MEMBER);
        m.remove(CONTRACT_SHA256_MEMBER);
        m.remove(APPROVAL_MEMBER);
        m.remove("@context");
        m.insert("@id".into(), offer_id.into());
        m.insert("@type".into(), "Offer".into());
        m.insert("target".into(), target.into());
    }
    policy
}
