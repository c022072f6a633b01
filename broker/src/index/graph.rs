//! The SPARQL store (Oxigraph, in memory): one named graph per participant, named by its DID.
//! Only visible descriptions are in it (active participant, not expired), so every query sees
//! exactly what the broker shows elsewhere.

use oxigraph::model::{Graph, GraphNameRef, NamedNode, QuadRef};
use oxigraph::store::Store as OxStore;

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
    fn replace_is_per_participant_and_atomic() {
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
        assert_eq!(idx.len().expect("len"), 8);
        // replacing drops the old triples
        idx.replace("did:web:a", &parse("<https://a/ds3> <https://a/p> 1 ."))
            .expect("replace");
        assert_eq!(idx.len().expect("len"), 2);
        idx.remove("did:web:b").expect("remove");
        assert_eq!(idx.len().expect("len"), 1);
    }
}
