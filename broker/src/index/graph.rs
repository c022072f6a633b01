//! The SPARQL store (Oxigraph, in memory): one named graph per participant, named by its DID.
//! Only visible descriptions are in it (active participant, not expired), so every query sees
//! exactly what the broker shows elsewhere.

use std::collections::HashSet;

use oxigraph::model::{
    Graph, GraphNameRef, NamedNode, NamedNodeRef, NamedOrBlankNode, NamedOrBlankNodeRef, QuadRef,
    Term, Triple,
};
use oxigraph::store::Store as OxStore;
use vocab::ns::{dcat, rdf};

use crate::error::BrokerError;

/// The in-memory RDF store.
#[derive(Clone)]
pub struct GraphIndex {
    store: OxStore,
}

impl std::fmt::Debug for GraphIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphIndex").finish_non_exhaustive()
    }
}

/// The graph name of a participant.
pub fn graph_name(did: &str) -> Result<NamedNode, BrokerError> {
    NamedNode::new(did).map_err(|e| BrokerError::Index(format!("DID {did:?} is no IRI: {e}")))
}

impl GraphIndex {
    /// An empty store.
    pub fn new() -> Result<Self, BrokerError> {
        Ok(Self {
            store: OxStore::new()?,
        })
    }

    /// The underlying Oxigraph store (for SPARQL evaluation).
    pub fn store(&self) -> &OxStore {
        &self.store
    }

    /// Replaces the participant's named graph in one transaction.
    pub fn replace(&self, did: &str, graph: &Graph) -> Result<(), BrokerError> {
        let name = graph_name(did)?;
        let mut tx = self.store.start_transaction()?;
        tx.remove_named_graph(&name)?;
        tx.insert_named_graph(&name);
        for t in graph {
            tx.insert(QuadRef::new(
                t.subject,
                t.predicate,
                t.object,
                GraphNameRef::from(&name),
            ));
        }
        tx.commit()?;
        Ok(())
    }

    /// Removes the participant's named graph.
    pub fn remove(&self, did: &str) -> Result<(), BrokerError> {
        let name = graph_name(did)?;
        self.store.remove_named_graph(&name)?;
        Ok(())
    }

    /// Number of quads.
    pub fn len(&self) -> Result<usize, BrokerError> {
        Ok(self.store.len()?)
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> Result<bool, BrokerError> {
        Ok(self.store.is_empty()?)
    }

    /// The description of one dataset: every triple reachable from it in the participant's
    /// graph, not entering other datasets.
    pub fn dataset_description(&self, did: &str, iri: &str) -> Result<Vec<Triple>, BrokerError> {
        let name = graph_name(did)?;
        let Ok(start) = NamedNode::new(iri) else {
            return Ok(Vec::new());
        };
        let graph = GraphNameRef::from(&name);
        let mut seen: HashSet<NamedOrBlankNode> = HashSet::new();
        let mut queue: Vec<NamedOrBlankNode> = vec![start.into()];
        let mut out = Vec::new();
        while let Some(node) = queue.pop() {
            if !seen.insert(node.clone()) {
                continue;
            }
            for quad in self
                .store
                .quads_for_pattern(Some(node.as_ref()), None, None, Some(graph))
            {
                let quad = quad?;
                let next = match &quad.object {
                    Term::NamedNode(n) => Some(NamedOrBlankNode::from(n.clone())),
                    Term::BlankNode(b) => Some(NamedOrBlankNode::from(b.clone())),
                    _ => None,
                };
                if let Some(next) = next {
                    if !seen.contains(&next) && !self.is_other_dataset(&next, graph)? {
                        queue.push(next);
                    }
                }
                out.push(Triple::new(quad.subject, quad.predicate, quad.object));
            }
        }
        Ok(out)
    }

    fn is_other_dataset(
        &self,
        node: &NamedOrBlankNode,
        graph: GraphNameRef<'_>,
    ) -> Result<bool, BrokerError> {
        let subject: NamedOrBlankNodeRef<'_> = node.as_ref();
        let ty: NamedNodeRef<'_> = dcat::DATASET;
        Ok(self
            .store
            .contains(QuadRef::new(subject, rdf::TYPE, ty, graph))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::io::RdfFormat;

    fn parse(ttl: &str) -> Graph {
        let mut g = Graph::new();
        for t in oxigraph::io::RdfParser::from_format(RdfFormat::Turtle).for_slice(ttl.as_bytes()) {
            g.insert(&t.expect("triple").into());
        }
        g
    }

    #[test]
    fn replace_is_per_participant_and_descriptions_stop_at_other_datasets() {
        let idx = GraphIndex::new().expect("store");
        let g = parse(
            r#"@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
            <https://a/ds1> a dcat:Dataset ; dct:title "A" ; dcat:distribution [ dct:title "D" ] ;
                dct:relation <https://a/ds2> .
            <https://a/ds2> a dcat:Dataset ; dct:title "B" ."#,
        );
        idx.replace("did:web:a", &g).expect("insert");
        idx.replace("did:web:b", &parse("<https://b/x> <https://b/p> 1 ."))
            .expect("b");
        let d = idx
            .dataset_description("did:web:a", "https://a/ds1")
            .expect("describe");
        assert_eq!(d.len(), 5, "{d:?}");
        assert!(d.iter().all(|t| t.subject.to_string() != "<https://a/ds2>"));
        // replacing drops the old triples
        idx.replace("did:web:a", &parse("<https://a/ds3> <https://a/p> 1 ."))
            .expect("replace");
        assert!(
            idx.dataset_description("did:web:a", "https://a/ds1")
                .expect("d")
                .is_empty()
        );
        assert_eq!(idx.len().expect("len"), 2);
        idx.remove("did:web:b").expect("remove");
        assert_eq!(idx.len().expect("len"), 1);
    }
}
