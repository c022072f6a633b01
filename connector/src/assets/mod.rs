//! The assets this connector offers, their offers and templates, and the DSP catalog view of
//! them for a given caller.

mod model;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

pub use model::{
    APPROVAL_MEMBER, ApprovalMode, Asset, AssetSource, CONTRACT_SHA256_MEMBER,
    CONTRACT_TEXT_MEMBER, Offer, TemplateRecord, TemplateRef, message_offer,
};

use crate::dsp::catalog::{Catalog, DataService, Dataset, Distribution};
use crate::dsp::policy::CatalogOffer;
use crate::store::{Store, StoreError, StoreExt, WriteBatch, keys};
use crate::terms::Terms;
use crate::trust::Caller;

/// The transfer formats every dataset is distributed in (`HttpData-PUSH` sends datasets that
/// are one file; for a folder the provider terminates a push with that reason).
pub const FORMATS: [&str; 2] = ["HttpData-PULL", "HttpData-PUSH"];

/// The EU data theme vocabulary.
pub const THEME_BASE: &str = "http://publications.europa.eu/resource/authority/data-theme/";
/// The DCAT-AP.de municipality key vocabulary.
pub const AGS_BASE: &str = "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/";

/// Checks an identifier used in URLs and DSP messages.
pub fn check_id(field: &str, id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > 200 {
        return Err(format!("{field}: must have 1 to 200 characters"));
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-' | '~')))
    {
        return Err(format!(
            "{field}: character {c:?} is not allowed (use letters, digits and . _ : - ~)"
        ));
    }
    Ok(())
}

/// Assets, offers and templates.
#[derive(Clone)]
pub struct Assets {
    store: Arc<dyn Store>,
    terms: Arc<Terms>,
}

impl std::fmt::Debug for Assets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assets").finish_non_exhaustive()
    }
}

impl Assets {
    /// Assets kept in `store`.
    pub fn new(store: Arc<dyn Store>, terms: Arc<Terms>) -> Self {
        Self { store, terms }
    }

    /// One asset.
    pub fn asset(&self, id: &str) -> Result<Option<Asset>, StoreError> {
        self.store.get(&keys::asset(id))
    }

    /// All assets, by id.
    pub fn assets(&self) -> Result<Vec<Asset>, StoreError> {
        Ok(self
            .store
            .scan::<Asset>(keys::ASSET)?
            .into_iter()
            .map(|(_, a)| a)
            .collect())
    }

    /// Stores assets (and offers) in one atomic write.
    pub fn put(&self, assets: &[Asset], offers: &[Offer]) -> Result<(), StoreError> {
        let mut batch = WriteBatch::new();
        for a in assets {
            batch.put(keys::asset(&a.id), a);
        }
        for o in offers {
            batch.put(keys::offer(&o.id), o);
        }
        self.store.apply(batch)
    }

    /// Deletes an asset, its offers and (sandbox builds) its sandbox source and column policy,
    /// so that an asset created again under the same id starts without them; false if it did
    /// not exist.
    pub fn delete_asset(&self, id: &str) -> Result<bool, StoreError> {
        if self.asset(id)?.is_none() {
            return Ok(false);
        }
        let mut batch = WriteBatch::new();
        batch.delete(keys::asset(id));
        #[cfg(feature = "sandbox")]
        batch.delete(crate::sandbox::spec_key(id));
        for o in self.offers_of(id)? {
            batch.delete(keys::offer(&o.id));
        }
        self.store.apply(batch)?;
        Ok(true)
    }

    /// One offer.
    pub fn offer(&self, id: &str) -> Result<Option<Offer>, StoreError> {
        self.store.get(&keys::offer(id))
    }

    /// All offers.
    pub fn offers(&self) -> Result<Vec<Offer>, StoreError> {
        Ok(self
            .store
            .scan::<Offer>(keys::OFFER)?
            .into_iter()
            .map(|(_, o)| o)
            .collect())
    }

    /// The offers of one asset.
    pub fn offers_of(&self, asset_id: &str) -> Result<Vec<Offer>, StoreError> {
        Ok(self
            .offers()?
            .into_iter()
            .filter(|o| o.asset_id == asset_id)
            .collect())
    }

    /// Deletes an offer; false if it did not exist.
    pub fn delete_offer(&self, id: &str) -> Result<bool, StoreError> {
        if self.offer(id)?.is_none() {
            return Ok(false);
        }
        let mut batch = WriteBatch::new();
        batch.delete(keys::offer(id));
        self.store.apply(batch)?;
        Ok(true)
    }

    /// A stored template version.
    pub fn template(&self, id: &str, version: &str) -> Result<Option<TemplateRecord>, StoreError> {
        self.store.get(&keys::template(&format!("{id}@{version}")))
    }

    /// All stored templates.
    pub fn templates(&self) -> Result<Vec<TemplateRecord>, StoreError> {
        Ok(self
            .store
            .scan::<TemplateRecord>(keys::TEMPLATE)?
            .into_iter()
            .map(|(_, t)| t)
            .collect())
    }

    /// Stores a template version.
    pub fn put_template(&self, t: &TemplateRecord) -> Result<(), StoreError> {
        self.store
            .put(&keys::template(&format!("{}@{}", t.id, t.version)), t)
    }

    /// The offer `id` with its asset, if `caller` may see it.
    pub fn visible_offer(
        &self,
        id: &str,
        caller: &Caller,
    ) -> Result<Option<(Offer, Asset)>, StoreError> {
        let Some(offer) = self.offer(id)? else {
            return Ok(None);
        };
        if !self
            .terms
            .visible(offer.visibility.as_ref(), caller, chrono::Utc::now())
        {
            return Ok(None);
        }
        Ok(self.asset(&offer.asset_id)?.map(|a| (offer, a)))
    }

    fn dataset_view(&self, asset: &Asset, offers: &[&Offer], service_id: &str) -> Dataset {
        let mut properties = serde_json::Map::new();
        properties.insert("dct:title".into(), asset.title.clone().into());
        if !asset.description.is_empty() {
            properties.insert("dct:description".into(), asset.description.clone().into());
        }
        if !asset.keywords.is_empty() {
            properties.insert("dcat:keyword".into(), json!(asset.keywords));
        }
        if !asset.themes.is_empty() {
            let themes: Vec<Value> = asset
                .themes
                .iter()
                .map(|t| {
                    if t.contains(':') {
                        json!({"@id": t})
                    } else {
                        json!({"@id": format!("{THEME_BASE}{t}")})
                    }
                })
                .collect();
            properties.insert("dcat:theme".into(), Value::Array(themes));
        }
        if let Some(ags) = &asset.ags {
            properties.insert(
                "dct:spatial".into(),
                json!({"@id": format!("{AGS_BASE}{ags}")}),
            );
        }
        if let Some(l) = &asset.license {
            properties.insert("dct:license".into(), json!({"@id": l}));
        }
        if let Some(p) = &asset.publisher {
            properties.insert("dct:publisher".into(), p.clone().into());
        }
        Dataset {
            id: asset.id.clone(),
            offers: offers
                .iter()
                .map(|o| CatalogOffer {
                    id: o.id.clone(),
                    json: o.catalog_json(),
                })
                .collect(),
            distributions: crate::transfer::sandbox::catalog_formats(asset)
                .iter()
                .map(|f| Distribution {
                    format: (*f).to_owned(),
                    access_service: service_id.to_owned(),
                })
                .collect(),
            properties,
        }
    }

    /// The catalog `caller` may see: every asset with at least one visible offer.
    pub fn catalog_for(
        &self,
        caller: &Caller,
        participant_id: &str,
        dsp_base_url: &str,
    ) -> Result<Catalog, StoreError> {
        let now = chrono::Utc::now();
        let service_id = format!("{participant_id}#dsp");
        let mut by_asset: BTreeMap<String, Vec<Offer>> = BTreeMap::new();
        for o in self.offers()? {
            if self.terms.visible(o.visibility.as_ref(), caller, now) {
                by_asset.entry(o.asset_id.clone()).or_default().push(o);
            }
        }
        let mut datasets = Vec::new();
        for asset in self.assets()? {
            if let Some(offers) = by_asset.get(&asset.id) {
                let refs: Vec<&Offer> = offers.iter().collect();
                datasets.push(self.dataset_view(&asset, &refs, &service_id));
            }
        }
        Ok(Catalog {
            id: format!("{participant_id}#catalog"),
            participant_id: participant_id.to_owned(),
            services: vec![DataService {
                id: service_id,
                endpoint_url: dsp_base_url.to_owned(),
            }],
            datasets,
        })
    }

    /// One dataset as `caller` may see it; `None` when unknown or without visible offers.
    pub fn dataset_for(
        &self,
        id: &str,
        caller: &Caller,
        participant_id: &str,
    ) -> Result<Option<Dataset>, StoreError> {
        let Some(asset) = self.asset(id)? else {
            return Ok(None);
        };
        let now = chrono::Utc::now();
        let offers: Vec<Offer> = self
            .offers_of(id)?
            .into_iter()
            .filter(|o| self.terms.visible(o.visibility.as_ref(), caller, now))
            .collect();
        if offers.is_empty() {
            return Ok(None);
        }
        let refs: Vec<&Offer> = offers.iter().collect();
        Ok(Some(self.dataset_view(
            &asset,
            &refs,
            &format!("{participant_id}#dsp"),
        )))
    }
}
