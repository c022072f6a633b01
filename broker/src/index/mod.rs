//! The indexes over what was accepted: the SPARQL store, the search index and the dataset
//! summaries pages and harvest read. All three are derived from sled and rebuilt at start;
//! the [`Catalog`] changes them together, one participant at a time.

mod graph;
mod policy;
mod search;
mod summary;
pub mod terms;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use oxigraph::model::Graph;

pub use graph::{GraphIndex, graph_name};
pub use search::{FacetCounts, SearchHits, SearchIndex, SearchQuery};
pub use summary::{
    DatasetSummary, EU_THEME_PREFIX, TemplateRef, dataset_id, describe, region_key_of_iri,
    summarize,
};

use crate::error::BrokerError;
use crate::store::ParticipantType;

#[derive(Debug, Default)]
struct Summaries {
    /// Dataset id → summary, ordered by id (the harvest's stable order).
    by_id: BTreeMap<String, Arc<DatasetSummary>>,
    /// Participant DID → its dataset ids.
    by_participant: HashMap<String, Vec<String>>,
}

/// The visible catalogue: SPARQL store, search index and summaries.
#[derive(Debug)]
pub struct Catalog {
    graphs: GraphIndex,
    search: SearchIndex,
    summaries: RwLock<Summaries>,
}

/// A search result page with the summaries it names.
#[derive(Debug, Clone)]
pub struct SearchPage {
    /// Matching datasets in total.
    pub total: usize,
    /// The page's datasets, best first.
    pub results: Vec<Arc<DatasetSummary>>,
    /// Facet counts over all matches.
    pub facets: FacetCounts,
}

/// One participant's visible description, for loading.
#[derive(Debug)]
pub struct VisibleDescription {
    /// The participant.
    pub did: String,
    /// Its type (from the authority's record).
    pub participant_type: ParticipantType,
    /// When the broker accepted the description.
    pub accepted_at: chrono::DateTime<chrono::Utc>,
    /// The verified graph.
    pub graph: Graph,
}

impl Catalog {
    /// An empty catalogue.
    pub fn new() -> Result<Self, BrokerError> {
        Ok(Self {
            graphs: GraphIndex::new()?,
            search: SearchIndex::new()?,
            summaries: RwLock::new(Summaries::default()),
        })
    }

    /// The SPARQL store.
    pub fn graphs(&self) -> &GraphIndex {
        &self.graphs
    }

    fn read(&self) -> Result<std::sync::RwLockReadGuard<'_, Summaries>, BrokerError> {
        self.summaries
            .read()
            .map_err(|_| BrokerError::Index("summary lock poisoned".into()))
    }

    fn write(&self) -> Result<std::sync::RwLockWriteGuard<'_, Summaries>, BrokerError> {
        self.summaries
            .write()
            .map_err(|_| BrokerError::Index("summary lock poisoned".into()))
    }

    /// Replaces a participant's visible description in every index. Returns its datasets.
    /// Callers serialise writes (the publication service holds one lock for all of them).
    pub fn replace(&self, description: &VisibleDescription) -> Result<usize, BrokerError> {
        let datasets = summarize(
            &description.graph,
            &description.did,
            description.participant_type,
            description.accepted_at,
        );
        self.graphs.replace(&description.did, &description.graph)?;
        self.search
            .replace_participant(&description.did, &datasets)?;
        let mut s = self.write()?;
        Self::forget(&mut s, &description.did);
        let count = datasets.len();
        Self::remember(&mut s, &description.did, datasets);
        Ok(count)
    }

    fn forget(s: &mut Summaries, did: &str) {
        if let Some(ids) = s.by_participant.remove(did) {
            for id in ids {
                s.by_id.remove(&id);
            }
        }
    }

    fn remember(s: &mut Summaries, did: &str, datasets: Vec<DatasetSummary>) {
        let ids = datasets.iter().map(|d| d.id.clone()).collect();
        for d in datasets {
            s.by_id.insert(d.id.clone(), Arc::new(d));
        }
        s.by_participant.insert(did.to_owned(), ids);
    }

    /// Removes a participant from every index (deletion, expiry, revocation).
    pub fn remove(&self, did: &str) -> Result<(), BrokerError> {
        self.graphs.remove(did)?;
        self.search.remove_participant(did)?;
        Self::forget(&mut *self.write()?, did);
        Ok(())
    }

    /// Loads many descriptions into an empty catalogue (the rebuild at start): one search
    /// commit for all of them.
    pub fn load(
        &self,
        descriptions: impl IntoIterator<Item = VisibleDescription>,
    ) -> Result<usize, BrokerError> {
        let mut all = Vec::new();
        let mut s = self.write()?;
        for d in descriptions {
            let datasets = summarize(&d.graph, &d.did, d.participant_type, d.accepted_at);
            self.graphs.replace(&d.did, &d.graph)?;
            all.extend(datasets.iter().cloned());
            Self::remember(&mut s, &d.did, datasets);
        }
        self.search.load_all(all.iter())?;
        Ok(all.len())
    }

    /// Whether the participant has a visible description.
    pub fn is_visible(&self, did: &str) -> Result<bool, BrokerError> {
        Ok(self.read()?.by_participant.contains_key(did))
    }

    /// One dataset by id.
    pub fn dataset(&self, id: &str) -> Result<Option<Arc<DatasetSummary>>, BrokerError> {
        Ok(self.read()?.by_id.get(id).cloned())
    }

    /// A participant's datasets.
    pub fn datasets_of(&self, did: &str) -> Result<Vec<Arc<DatasetSummary>>, BrokerError> {
        let s = self.read()?;
        Ok(s.by_participant
            .get(did)
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| s.by_id.get(id).cloned())
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Every visible dataset in id order, filtered (for the harvest).
    pub fn datasets_where(
        &self,
        keep: impl Fn(&DatasetSummary) -> bool,
    ) -> Result<Vec<Arc<DatasetSummary>>, BrokerError> {
        Ok(self
            .read()?
            .by_id
            .values()
            .filter(|d| keep(d))
            .cloned()
            .collect())
    }

    /// Number of visible datasets.
    pub fn dataset_count(&self) -> Result<usize, BrokerError> {
        Ok(self.read()?.by_id.len())
    }

    /// Runs a search and resolves the page's summaries.
    pub fn search(&self, query: &SearchQuery) -> Result<SearchPage, BrokerError> {
        let hits = self.search.search(query)?;
        let s = self.read()?;
        let results = hits
            .ids
            .iter()
            .filter_map(|id| s.by_id.get(id).cloned())
            .collect();
        Ok(SearchPage {
            total: hits.total,
            results,
            facets: hits.facets,
        })
    }
}
