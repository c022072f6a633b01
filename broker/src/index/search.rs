//! The full-text and facet index (tantivy, in memory): German stemming on title, description
//! and keywords; facets for EU theme, region (state → district → municipality), publisher,
//! participant type, licence and Charta purpose.

use std::sync::Mutex;

use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, QueryParser, TermQuery};
use tantivy::schema::Facet;
use tantivy::schema::{
    FAST, FacetOptions, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term,
};

use super::summary::DatasetSummary;
use crate::error::BrokerError;

const GERMAN: &str = "de_stem";
const WRITER_MEMORY: usize = 64 * 1024 * 1024;

/// A search: keywords plus facet filters (OR within one facet, AND across facets).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchQuery {
    /// Keywords (all must match, after stemming).
    pub text: String,
    /// EU theme codes.
    pub themes: Vec<String>,
    /// Region keys (2, 5 or 8 digits); a region includes everything inside it.
    pub regions: Vec<String>,
    /// Publisher names.
    pub publishers: Vec<String>,
    /// Participant types (wire names).
    pub participant_types: Vec<String>,
    /// Licence IRIs.
    pub licenses: Vec<String>,
    /// Purpose IRIs.
    pub purposes: Vec<String>,
    /// Results to skip.
    pub offset: usize,
    /// Results to return.
    pub limit: usize,
}

/// Counts per facet value within the results.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FacetCounts {
    /// Theme code → count.
    pub theme: Vec<(String, u64)>,
    /// Region key → count (states, and the children of each selected region).
    pub region: Vec<(String, u64)>,
    /// Publisher → count.
    pub publisher: Vec<(String, u64)>,
    /// Participant type → count.
    pub participant_type: Vec<(String, u64)>,
    /// Licence IRI → count.
    pub license: Vec<(String, u64)>,
    /// Purpose IRI → count.
    pub purpose: Vec<(String, u64)>,
}

/// What a search found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchHits {
    /// Number of matching datasets.
    pub total: usize,
    /// Dataset ids of the requested page, best first.
    pub ids: Vec<String>,
    /// Facet counts over all matches.
    pub facets: FacetCounts,
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    id: Field,
    participant: Field,
    title: Field,
    description: Field,
    keywords: Field,
    publisher_text: Field,
    modified: Field,
    theme: Field,
    region: Field,
    publisher: Field,
    participant_type: Field,
    license: Field,
    purpose: Field,
}

/// The in-memory search index.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").finish_non_exhaustive()
    }
}

/// Encodes one facet value as a single path step (`/` and `%` escaped).
fn step(value: &str) -> String {
    value.replace('%', "%25").replace('/', "%2F")
}

fn unstep(step: &str) -> String {
    step.replace("%2F", "/").replace("%25", "%")
}

fn flat_facet(value: &str) -> Facet {
    Facet::from_path([step(value)])
}

/// The facet path of a region key: state, then district, then municipality.
fn region_facet(key: &str) -> Facet {
    let mut path = vec![key.get(..2).unwrap_or(key).to_owned()];
    if key.len() >= 5 {
        path.push(key[..5].to_owned());
    }
    if key.len() == 8 {
        path.push(key.to_owned());
    }
    Facet::from_path(path)
}

fn german_analyzer() -> TextAnalyzer {
    let builder = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(60))
        .filter(LowerCaser);
    match StopWordFilter::new(Language::German) {
        Some(stop) => builder
            .filter(stop)
            .filter(Stemmer::new(Language::German))
            .build(),
        None => builder.filter(Stemmer::new(Language::German)).build(),
    }
}

impl SearchIndex {
    /// An empty index.
    pub fn new() -> Result<Self, BrokerError> {
        let mut schema = Schema::builder();
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(GERMAN)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let fields = Fields {
            id: schema.add_text_field("id", STRING | STORED),
            participant: schema.add_text_field("participant", STRING),
            title: schema.add_text_field("title", text.clone()),
            description: schema.add_text_field("description", text.clone()),
            keywords: schema.add_text_field("keywords", text.clone()),
            publisher_text: schema.add_text_field("publisher_text", text),
            modified: schema.add_i64_field("modified", FAST),
            theme: schema.add_facet_field("theme", FacetOptions::default()),
            region: schema.add_facet_field("region", FacetOptions::default()),
            publisher: schema.add_facet_field("publisher", FacetOptions::default()),
            participant_type: schema.add_facet_field("participant_type", FacetOptions::default()),
            license: schema.add_facet_field("license", FacetOptions::default()),
            purpose: schema.add_facet_field("purpose", FacetOptions::default()),
        };
        let index = Index::create_in_ram(schema.build());
        index.tokenizers().register(GERMAN, german_analyzer());
        let writer = index.writer_with_num_threads(1, WRITER_MEMORY)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
        })
    }

    fn document(&self, s: &DatasetSummary) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, &s.id);
        doc.add_text(f.participant, &s.participant);
        doc.add_text(f.title, &s.title);
        doc.add_text(f.description, &s.description);
        for k in &s.keywords {
            doc.add_text(f.keywords, k);
        }
        doc.add_text(f.publisher_text, &s.publisher);
        doc.add_i64(f.modified, s.modified.map(|d| d.timestamp()).unwrap_or(0));
        for t in &s.themes {
            doc.add_facet(f.theme, flat_facet(t));
        }
        for r in &s.regions {
            doc.add_facet(f.region, region_facet(r));
        }
        if !s.publisher.is_empty() {
            doc.add_facet(f.publisher, flat_facet(&s.publisher));
        }
        doc.add_facet(
            f.participant_type,
            flat_facet(crate::store::participant_type_name(s.participant_type)),
        );
        for l in &s.licenses {
            doc.add_facet(f.license, flat_facet(l));
        }
        for p in &s.purposes {
            doc.add_facet(f.purpose, flat_facet(p));
        }
        doc
    }

    fn writer(&self) -> Result<std::sync::MutexGuard<'_, IndexWriter>, BrokerError> {
        self.writer
            .lock()
            .map_err(|_| BrokerError::Index("search index writer lock poisoned".into()))
    }

    /// Replaces a participant's datasets in one commit (searchers see old or new, never a mix).
    pub fn replace_participant(
        &self,
        did: &str,
        datasets: &[DatasetSummary],
    ) -> Result<(), BrokerError> {
        let mut writer = self.writer()?;
        writer.delete_term(Term::from_field_text(self.fields.participant, did));
        for s in datasets {
            writer.add_document(self.document(s))?;
        }
        writer.commit()?;
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    /// Adds many participants' datasets with a single commit (the rebuild at start).
    pub fn load_all<'a>(
        &self,
        datasets: impl IntoIterator<Item = &'a DatasetSummary>,
    ) -> Result<(), BrokerError> {
        let mut writer = self.writer()?;
        for s in datasets {
            writer.add_document(self.document(s))?;
        }
        writer.commit()?;
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    /// Removes a participant's datasets.
    pub fn remove_participant(&self, did: &str) -> Result<(), BrokerError> {
        self.replace_participant(did, &[])
    }

    fn any_of(&self, field: Field, facets: impl IntoIterator<Item = Facet>) -> Box<dyn Query> {
        let clauses: Vec<(Occur, Box<dyn Query>)> = facets
            .into_iter()
            .map(|facet| {
                let q: Box<dyn Query> = Box::new(TermQuery::new(
                    Term::from_facet(field, &facet),
                    IndexRecordOption::Basic,
                ));
                (Occur::Should, q)
            })
            .collect();
        Box::new(BooleanQuery::new(clauses))
    }

    fn build_query(&self, q: &SearchQuery) -> Box<dyn Query> {
        let f = &self.fields;
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let text = q.text.trim();
        if !text.is_empty() {
            let mut parser = QueryParser::for_index(
                &self.index,
                vec![f.title, f.description, f.keywords, f.publisher_text],
            );
            parser.set_conjunction_by_default();
            parser.set_field_boost(f.title, 3.0);
            parser.set_field_boost(f.keywords, 2.0);
            // Lenient: user input never causes a syntax error; odd characters are ignored.
            let (query, _errors) = parser.parse_query_lenient(text);
            must.push((Occur::Must, query));
        }
        let flat = |values: &[String]| values.iter().map(|v| flat_facet(v)).collect::<Vec<_>>();
        for (field, facets) in [
            (f.theme, flat(&q.themes)),
            (
                f.region,
                q.regions.iter().map(|r| region_facet(r)).collect(),
            ),
            (f.publisher, flat(&q.publishers)),
            (f.participant_type, flat(&q.participant_types)),
            (f.license, flat(&q.licenses)),
            (f.purpose, flat(&q.purposes)),
        ] {
            if !facets.is_empty() {
                must.push((Occur::Must, self.any_of(field, facets)));
            }
        }
        if must.is_empty() {
            Box::new(AllQuery)
        } else {
            Box::new(BooleanQuery::new(must))
        }
    }

    /// Runs a search: the page of ids, the total and the facet counts.
    pub fn search(&self, q: &SearchQuery) -> Result<SearchHits, BrokerError> {
        let searcher = self.reader.searcher();
        let query = self.build_query(q);
        let f = &self.fields;
        let limit = q.limit.max(1);
        let collector = |name: &str, roots: &[Facet]| {
            let mut c = FacetCollector::for_field(name);
            for r in roots {
                c.add_facet(r.clone());
            }
            c
        };
        // A FacetCollector refuses (panics on) a facet below one it already counts, so the
        // children of selected regions are counted in separate passes below.
        let mut selected: Vec<Facet> = q
            .regions
            .iter()
            .filter(|r| r.len() < 8)
            .map(|r| region_facet(r))
            .collect();
        selected.sort();
        selected.dedup();
        // tantivy implements Collector for tuples of up to four, hence the nesting.
        let facets = (
            (
                collector("theme", &[Facet::root()]),
                collector("region", &[Facet::root()]),
                collector("publisher", &[Facet::root()]),
            ),
            (
                collector("participant_type", &[Facet::root()]),
                collector("license", &[Facet::root()]),
                collector("purpose", &[Facet::root()]),
            ),
        );
        let addresses: Vec<DocAddress>;
        let (total, counts);
        if q.text.trim().is_empty() {
            let top = TopDocs::with_limit(limit)
                .and_offset(q.offset)
                .order_by_fast_field::<i64>("modified", Order::Desc);
            let (hits, n, c) = searcher.search(&query, &(top, Count, facets))?;
            addresses = hits.into_iter().map(|(_, a)| a).collect();
            (total, counts) = (n, c);
        } else {
            let top = TopDocs::with_limit(limit).and_offset(q.offset);
            let (hits, n, c) = searcher.search(&query, &(top, Count, facets))?;
            addresses = hits.into_iter().map(|(_, a)| a).collect();
            (total, counts) = (n, c);
        }
        let mut ids = Vec::with_capacity(addresses.len());
        for address in addresses {
            let doc: TantivyDocument = searcher.doc(address)?;
            if let Some(id) = doc.get_first(f.id).and_then(|v| v.as_str()) {
                ids.push(id.to_owned());
            }
        }
        let flat_counts = |c: &tantivy::collector::FacetCounts| {
            let mut v: Vec<(String, u64)> = c
                .get(Facet::root())
                .map(|(facet, n)| {
                    (
                        unstep(facet.to_path().last().copied().unwrap_or_default()),
                        n,
                    )
                })
                .collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            v
        };
        let ((theme, regions, publisher), (participant_type, license, purpose)) = counts;
        let mut region = Vec::new();
        let mut push_children = |counts: &tantivy::collector::FacetCounts, root: &Facet| {
            for (facet, n) in counts.get(root.clone()) {
                if let Some(last) = facet.to_path().last() {
                    region.push(((*last).to_owned(), n));
                }
            }
        };
        push_children(&regions, &Facet::root());
        for root in &selected {
            let counts =
                searcher.search(&query, &collector("region", std::slice::from_ref(root)))?;
            push_children(&counts, root);
        }
        region.sort_by(|a, b| a.0.cmp(&b.0));
        region.dedup_by(|a, b| a.0 == b.0);
        Ok(SearchHits {
            total,
            ids,
            facets: FacetCounts {
                theme: flat_counts(&theme),
                region,
                publisher: flat_counts(&publisher),
                participant_type: flat_counts(&participant_type),
                license: flat_counts(&license),
                purpose: flat_counts(&purpose),
            },
        })
    }

    /// Number of indexed datasets.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ParticipantType;

    fn summary(id: &str, title: &str, regions: &[&str], themes: &[&str]) -> DatasetSummary {
        DatasetSummary {
            id: id.into(),
            iri: format!("https://a.example/{id}"),
            participant: "did:web:a.example".into(),
            participant_type: ParticipantType::Municipality,
            title: title.into(),
            description: String::new(),
            keywords: vec![],
            themes: themes.iter().map(|s| s.to_string()).collect(),
            regions: regions.iter().map(|s| s.to_string()).collect(),
            publisher: "Stadt A/B".into(),
            licenses: vec!["http://dcat-ap.de/def/licenses/dl-by-de/2.0".into()],
            purposes: vec![],
            access_rights: None,
            modified: None,
            published_at: chrono::Utc::now(),
            personal_adjacent: false,
            template: None,
            key_terms: vec![],
            max_duration: None,
        }
    }

    fn query(text: &str, regions: &[&str]) -> SearchQuery {
        SearchQuery {
            text: text.into(),
            regions: regions.iter().map(|s| s.to_string()).collect(),
            limit: 10,
            ..SearchQuery::default()
        }
    }

    #[test]
    fn stemming_regions_and_facets() {
        let index = SearchIndex::new().expect("index");
        index
            .replace_participant(
                "did:web:a.example",
                &[
                    summary("1", "Kommunale Wärmeplanungen", &["09162000"], &["ENER"]),
                    summary("2", "Schulen", &["09184119"], &["EDUC"]),
                    summary("3", "Radwege", &["11000000"], &["TRAN"]),
                ],
            )
            .expect("load");
        assert_eq!(
            index
                .search(&query("Wärmeplanung", &[]))
                .expect("search")
                .ids,
            vec!["1"]
        );
        assert_eq!(index.search(&query("", &["09"])).expect("search").total, 2);
        assert_eq!(
            index.search(&query("", &["09162"])).expect("search").total,
            1
        );
        // nested and repeated selections count without trouble
        let hits = index
            .search(&query("", &["09", "09162", "09162", "09184"]))
            .expect("search");
        assert_eq!(hits.total, 2);
        let keys: Vec<&str> = hits.facets.region.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, vec!["09", "09162", "09162000", "09184", "09184119"]);
        // a value with a slash survives as one facet value
        let all = index.search(&query("", &[])).expect("search");
        assert_eq!(all.facets.publisher, vec![("Stadt A/B".to_owned(), 3)]);
        assert_eq!(
            all.facets.license[0].0,
            "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
        );
        // odd input is harmless
        assert_eq!(
            index
                .search(&query("\"((( AND OR ~ ^", &[]))
                .expect("search")
                .total,
            0
        );
        index
            .remove_participant("did:web:a.example")
            .expect("remove");
        assert!(index.is_empty());
    }
}
