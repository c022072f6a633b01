//! The contract negotiation state machine of DSP 2025-1, as a table.
//!
//! From the protocol's state diagram (`C` consumer, `P` provider):
//!
//! | from | message | by | to |
//! |---|---|---|---|
//! | – | ContractRequestMessage | C | REQUESTED |
//! | – | ContractOfferMessage | P | OFFERED |
//! | REQUESTED | ContractOfferMessage | P | OFFERED |
//! | REQUESTED | ContractAgreementMessage | P | AGREED |
//! | REQUESTED | ContractNegotiationTerminationMessage | C/P | TERMINATED |
//! | OFFERED | ContractRequestMessage | C | REQUESTED |
//! | OFFERED | ContractNegotiationEventMessage:ACCEPTED | C | ACCEPTED |
//! | OFFERED | ContractNegotiationTerminationMessage | C/P | TERMINATED |
//! | ACCEPTED | ContractAgreementMessage | P | AGREED |
//! | ACCEPTED | ContractNegotiationTerminationMessage | P | TERMINATED |
//! | AGREED | ContractAgreementVerificationMessage | C | VERIFIED |
//! | AGREED | ContractNegotiationTerminationMessage | C | TERMINATED |
//! | VERIFIED | ContractNegotiationEventMessage:FINALIZED | P | FINALIZED |
//! | VERIFIED | ContractNegotiationTerminationMessage | P | TERMINATED |
//!
//! FINALIZED and TERMINATED are terminal. The same table judges messages received from the
//! counterparty and steps this connector wants to take itself.

use crate::dsp::negotiation::NegotiationState;
use crate::process::{Sender, Transition, TransitionTable};

/// The kinds of negotiation messages, as the state machine sees them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// `ContractRequestMessage`.
    Request,
    /// `ContractOfferMessage`.
    Offer,
    /// `ContractNegotiationEventMessage` with `ACCEPTED`.
    Accepted,
    /// `ContractAgreementMessage`.
    Agreement,
    /// `ContractAgreementVerificationMessage`.
    Verification,
    /// `ContractNegotiationEventMessage` with `FINALIZED`.
    Finalized,
    /// `ContractNegotiationTerminationMessage`.
    Termination,
}

impl std::fmt::Display for MessageKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Request => "ContractRequestMessage",
            Self::Offer => "ContractOfferMessage",
            Self::Accepted => "ContractNegotiationEventMessage:ACCEPTED",
            Self::Agreement => "ContractAgreementMessage",
            Self::Verification => "ContractAgreementVerificationMessage",
            Self::Finalized => "ContractNegotiationEventMessage:FINALIZED",
            Self::Termination => "ContractNegotiationTerminationMessage",
        })
    }
}

use MessageKind as K;
use NegotiationState as S;

const fn row(from: Option<S>, message: K, sender: Sender, to: S) -> Transition<S, K> {
    Transition::new(from, message, sender, to)
}

static ROWS: [Transition<S, K>; 14] = [
    row(None, K::Request, Sender::Consumer, S::Requested),
    row(None, K::Offer, Sender::Provider, S::Offered),
    row(Some(S::Requested), K::Offer, Sender::Provider, S::Offered),
    row(
        Some(S::Requested),
        K::Agreement,
        Sender::Provider,
        S::Agreed,
    ),
    row(
        Some(S::Requested),
        K::Termination,
        Sender::Either,
        S::Terminated,
    ),
    row(Some(S::Offered), K::Request, Sender::Consumer, S::Requested),
    row(Some(S::Offered), K::Accepted, Sender::Consumer, S::Accepted),
    row(
        Some(S::Offered),
        K::Termination,
        Sender::Either,
        S::Terminated,
    ),
    row(Some(S::Accepted), K::Agreement, Sender::Provider, S::Agreed),
    row(
        Some(S::Accepted),
        K::Termination,
        Sender::Provider,
        S::Terminated,
    ),
    row(
        Some(S::Agreed),
        K::Verification,
        Sender::Consumer,
        S::Verified,
    ),
    row(
        Some(S::Agreed),
        K::Termination,
        Sender::Consumer,
        S::Terminated,
    ),
    row(
        Some(S::Verified),
        K::Finalized,
        Sender::Provider,
        S::Finalized,
    ),
    row(
        Some(S::Verified),
        K::Termination,
        Sender::Provider,
        S::Terminated,
    ),
];

/// The contract negotiation state machine. FINALIZED and TERMINATED have no outgoing rows.
pub static NEGOTIATION: TransitionTable<S, K> = TransitionTable::new(&ROWS);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::Role::{Consumer as C, Provider as P};

    #[test]
    fn happy_paths() {
        let t = &NEGOTIATION;
        let s = t.next(None, K::Request, C).expect("request");
        let s = t.next(Some(s), K::Offer, P).expect("offer");
        let s = t.next(Some(s), K::Accepted, C).expect("accept");
        let s = t.next(Some(s), K::Agreement, P).expect("agree");
        let s = t.next(Some(s), K::Verification, C).expect("verify");
        let s = t.next(Some(s), K::Finalized, P).expect("finalize");
        assert_eq!(s, S::Finalized);
        assert_eq!(t.next(Some(S::Requested), K::Agreement, P), Ok(S::Agreed));
    }

    #[test]
    fn forbidden_transitions() {
        let t = &NEGOTIATION;
        // every message after a terminal state
        for k in [
            K::Request,
            K::Offer,
            K::Accepted,
            K::Agreement,
            K::Verification,
            K::Finalized,
            K::Termination,
        ] {
            for who in [C, P] {
                assert!(t.next(Some(S::Finalized), k, who).is_err());
                assert!(t.next(Some(S::Terminated), k, who).is_err());
            }
        }
        // TCK negative scenarios
        assert!(t.next(Some(S::Offered), K::Verification, C).is_err()); // CN:03-02
        assert!(t.next(Some(S::Accepted), K::Verification, C).is_err()); // CN:03-03
        assert!(t.next(Some(S::Requested), K::Request, C).is_err()); // CN:03-04
        assert!(t.next(Some(S::Requested), K::Finalized, P).is_err()); // CN_C:03-01
        assert!(t.next(Some(S::Offered), K::Agreement, P).is_err()); // CN_C:03-02
        assert!(t.next(Some(S::Offered), K::Finalized, P).is_err()); // CN_C:03-03
        assert!(t.next(Some(S::Accepted), K::Finalized, P).is_err()); // CN_C:03-04
        assert!(t.next(Some(S::Accepted), K::Offer, P).is_err()); // CN_C:03-05
        assert!(t.next(Some(S::Agreed), K::Finalized, P).is_err()); // CN_C:03-06
        // wrong sender
        assert!(t.next(Some(S::Offered), K::Accepted, P).is_err());
        assert!(t.next(None, K::Request, P).is_err());
        assert!(t.next(Some(S::Accepted), K::Termination, C).is_err());
        assert!(t.next(Some(S::Agreed), K::Termination, P).is_err());
        let e = t
            .next(Some(S::Verified), K::Termination, C)
            .expect_err("consumer may not terminate when verified");
        assert_eq!(e.state, "VERIFIED");
        assert_eq!(e.sender, "consumer");
    }

    #[test]
    fn table_has_exactly_the_fourteen_transitions_of_the_diagram() {
        assert_eq!(NEGOTIATION.rows().len(), 14);
    }
}
