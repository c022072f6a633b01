//! Publication and deletion of self-descriptions: who may publish, signature, replay, RDF and
//! DCAT-AP.de checks, then the atomic replacement in sled and every index.

use chrono::Utc;
use oxigraph::model::Graph;
use serde_json::Value;
use vocab::envelope::{self, DELETION_TYP, SELF_DESCRIPTION_TYP, TURTLE};
use vocab::jose::PublicKey;

use super::Broker;
use crate::error::BrokerError;
use crate::index::VisibleDescription;
use crate::metrics::Metrics;
use crate::store::{Envelope, Participant, ParticipantStatus};

/// What an accepted publication reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishOutcome {
    /// The participant.
    pub did: String,
    /// The envelope's `iat`.
    pub iat: i64,
    /// Datasets now visible.
    pub datasets: usize,
}

/// The registered key of a participant.
pub(crate) fn registered_key(p: &Participant) -> Result<PublicKey, BrokerError> {
    PublicKey::from_jwk_value(&p.public_key)
        .map_err(|e| BrokerError::Storage(format!("stored key of {}: {e}", p.did)))
}

/// Maps a `vocab` error after the header checks passed.
fn envelope_error(e: vocab::Error, did: &str) -> BrokerError {
    match e {
        vocab::Error::Jose(j) => BrokerError::InvalidSignature(j.to_string()),
        vocab::Error::Parse { message, .. } => BrokerError::MalformedRdf(message),
        vocab::Error::TooLarge { limit, .. } => BrokerError::PayloadTooLarge { limit },
        // The header was checked before; what remains is the payload's publisher.
        vocab::Error::Envelope(m) => BrokerError::WrongParticipant {
            did: did.to_owned(),
            signer: m,
        },
        other => BrokerError::MalformedEnvelope(other.to_string()),
    }
}

impl Broker {
    /// The participant if it may publish (exists, active).
    fn publisher(&self, did: &str) -> Result<Participant, BrokerError> {
        let p = self.participant(did)?;
        match p.status {
            ParticipantStatus::Active => Ok(p),
            ParticipantStatus::Revoked => Err(BrokerError::Revoked(did.to_owned())),
            other => Err(BrokerError::NotActive {
                did: did.to_owned(),
                status: other.as_str().to_owned(),
            }),
        }
    }

    /// Checks the protected header before anything expensive: type, content type, signer,
    /// key, `iat` (not in the future, newer than the last accepted). Returns `iat`.
    fn check_header(
        &self,
        jws: &str,
        did: &str,
        key: &PublicKey,
        typ: &str,
        cty: &str,
    ) -> Result<i64, BrokerError> {
        let header = vocab::jose::peek_header_map(jws)
            .map_err(|e| BrokerError::MalformedEnvelope(e.to_string()))?;
        let text = |name: &str| header.get(name).and_then(Value::as_str);
        if text("typ") != Some(typ) {
            return Err(BrokerError::MalformedEnvelope(format!(
                "header typ is {:?}, expected {typ:?}",
                text("typ")
            )));
        }
        if text("cty") != Some(cty) {
            return Err(BrokerError::MalformedEnvelope(format!(
                "header cty is {:?}, expected {cty:?}",
                text("cty")
            )));
        }
        let kid = text("kid").unwrap_or_default();
        let signer = text("iss").unwrap_or_default();
        if vocab::did::did_of_did_url(kid) != did || signer != did {
            return Err(BrokerError::WrongParticipant {
                did: did.to_owned(),
                signer: format!("kid {kid:?}, iss {signer:?}"),
            });
        }
        if key.kid() != Some(kid) {
            return Err(BrokerError::InvalidSignature(format!(
                "signed with key {kid:?}, but the registered key of {did} is {:?}",
                key.kid().unwrap_or_default()
            )));
        }
        let iat = header.get("iat").and_then(Value::as_i64).ok_or_else(|| {
            BrokerError::MalformedEnvelope("the header has no integer iat".into())
        })?;
        let now = Utc::now().timestamp();
        if iat > now + self.config.publication.max_clock_skew_secs {
            return Err(BrokerError::InvalidRequest {
                field: "iat".into(),
                reason: format!("{iat} lies in the future (broker time {now})"),
            });
        }
        if let Some(last) = self.store.last_iat(did)?
            && iat <= last
        {
            return Err(BrokerError::Replay { iat, last });
        }
        Ok(iat)
    }

    fn envelope_text<'a>(&self, body: &'a [u8]) -> Result<&'a str, BrokerError> {
        let limit = self.config.publication.max_envelope_bytes;
        if body.len() > limit {
            return Err(BrokerError::PayloadTooLarge { limit });
        }
        let text = std::str::from_utf8(body)
            .map_err(|_| BrokerError::MalformedEnvelope("the body is not UTF-8 text".into()))?
            .trim();
        if text.is_empty() {
            return Err(BrokerError::MalformedEnvelope(
                "the body is empty; send the compact JWS (application/jose)".into(),
            ));
        }
        if text.split('.').count() != 3 {
            return Err(BrokerError::MalformedEnvelope(
                "not a compact JWS (header.payload.signature)".into(),
            ));
        }
        Ok(text)
    }

    /// Accepts a signed self-description and replaces the participant's previous one.
    pub fn publish(&self, did: &str, body: &[u8]) -> Result<PublishOutcome, BrokerError> {
        let result = self.publish_checked(did, body);
        Metrics::count(&self.metrics.publications, &result);
        result
    }

    fn publish_checked(&self, did: &str, body: &[u8]) -> Result<PublishOutcome, BrokerError> {
        let participant = self.publisher(did)?;
        let jws = self.envelope_text(body)?;
        let key = registered_key(&participant)?;
        let iat = self.check_header(jws, did, &key, SELF_DESCRIPTION_TYP, TURTLE)?;
        let opened = envelope::verify(jws, did, &key).map_err(|e| envelope_error(e, did))?;
        let report = vocab::validate::check(&opened.graph);
        if !report.is_valid() {
            return Err(BrokerError::InvalidDcat(
                report.violations.iter().map(ToString::to_string).collect(),
            ));
        }
        let accepted_at = Utc::now();
        let _guard = self.lock_writes()?;
        // Revocation may have happened while the envelope was checked.
        let participant = self.publisher(did)?;
        let description = VisibleDescription {
            did: did.to_owned(),
            participant_type: participant.participant_type,
            accepted_at,
            graph: opened.graph,
        };
        let datasets = description
            .graph
            .subjects_for_predicate_object(vocab::ns::rdf::TYPE, vocab::ns::dcat::DATASET)
            .count();
        self.store.put_envelope(&Envelope {
            did: did.to_owned(),
            jws: jws.to_owned(),
            iat,
            accepted_at,
            datasets,
        })?;
        if let Err(e) = self.catalog.replace(&description) {
            // sled holds the accepted envelope; the indexes are rebuilt from it at start.
            tracing::error!(did, error = %e, "index update failed after the envelope was stored");
            let _ = self.catalog.remove(did);
            return Err(e);
        }
        tracing::info!(did, iat, datasets, "self-description accepted");
        Ok(PublishOutcome {
            did: did.to_owned(),
            iat,
            datasets,
        })
    }

    /// Withdraws a participant's self-description on a signed deletion.
    pub fn withdraw(&self, did: &str, body: &[u8]) -> Result<(), BrokerError> {
        let result = self.withdraw_checked(did, body);
        Metrics::count(&self.metrics.publications, &result);
        result
    }

    fn withdraw_checked(&self, did: &str, body: &[u8]) -> Result<(), BrokerError> {
        let participant = self.publisher(did)?;
        let jws = self.envelope_text(body)?;
        let key = registered_key(&participant)?;
        let iat = self.check_header(jws, did, &key, DELETION_TYP, "application/json")?;
        envelope::verify_deletion(jws, did, &key).map_err(|e| match e {
            vocab::Error::Jose(j) => BrokerError::InvalidSignature(j.to_string()),
            other => BrokerError::MalformedEnvelope(other.to_string()),
        })?;
        let _guard = self.lock_writes()?;
        if self.store.envelope(did)?.is_none() {
            return Err(BrokerError::NotFound(format!(
                "{did} has no self-description to delete"
            )));
        }
        self.store.delete_envelope(did, iat)?;
        self.catalog.remove(did)?;
        tracing::info!(did, iat, "self-description withdrawn");
        Ok(())
    }

    /// The accepted envelope of a visible participant, exactly as received.
    pub fn visible_envelope(&self, did: &str) -> Result<String, BrokerError> {
        if !self.catalog.is_visible(did)? {
            return Err(BrokerError::NotFound(format!(
                "{did} has no visible self-description"
            )));
        }
        self.store
            .envelope(did)?
            .map(|e| e.jws)
            .ok_or_else(|| BrokerError::NotFound(format!("{did} has no self-description")))
    }

    /// Parses a stored envelope again (at start); the graph only if it still verifies.
    pub(super) fn reopen(
        &self,
        participant: &Participant,
        stored: &Envelope,
    ) -> Result<Graph, BrokerError> {
        let key = registered_key(participant)?;
        envelope::verify(&stored.jws, &participant.did, &key)
            .map(|o| o.graph)
            .map_err(|e| envelope_error(e, &participant.did))
    }
}
