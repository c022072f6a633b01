//! The transfer process state machine of DSP 2025-1, as a table.
//!
//! From the protocol's state diagram (`C` consumer, `P` provider):
//!
//! | from | message | by | to |
//! |---|---|---|---|
//! | – | TransferRequestMessage | C | REQUESTED |
//! | REQUESTED | TransferStartMessage | P | STARTED |
//! | REQUESTED | TransferTerminationMessage | C/P | TERMINATED |
//! | STARTED | TransferSuspensionMessage | C/P | SUSPENDED |
//! | STARTED | TransferCompletionMessage | C/P | COMPLETED |
//! | STARTED | TransferTerminationMessage | C/P | TERMINATED |
//! | SUSPENDED | TransferStartMessage | C/P | STARTED |
//! | SUSPENDED | TransferTerminationMessage | C/P | TERMINATED |
//!
//! COMPLETED and TERMINATED are terminal. A suspended transfer is restarted with a start
//! message by either side (the TCK's TP:02-04 and TP_C:01-04); it cannot be completed while
//! suspended (TP:03-03, TP_C:03-03), and a requested one can be neither suspended nor
//! completed (TP:03-01, TP:03-02).

use crate::dsp::transfer::TransferState;
use crate::process::{Sender, Transition, TransitionTable};

/// The kinds of transfer messages, as the state machine sees them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// `TransferRequestMessage`.
    Request,
    /// `TransferStartMessage`.
    Start,
    /// `TransferSuspensionMessage`.
    Suspension,
    /// `TransferCompletionMessage`.
    Completion,
    /// `TransferTerminationMessage`.
    Termination,
}

impl MessageKind {
    /// The message's `@type`.
    pub fn message_type(self) -> &'static str {
        match self {
            Self::Request => "TransferRequestMessage",
            Self::Start => "TransferStartMessage",
            Self::Suspension => "TransferSuspensionMessage",
            Self::Completion => "TransferCompletionMessage",
            Self::Termination => "TransferTerminationMessage",
        }
    }

    /// The path suffix the message is posted to (`transfers/{pid}/<suffix>`).
    pub fn path_suffix(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::Start => "start",
            Self::Suspension => "suspension",
            Self::Completion => "completion",
            Self::Termination => "termination",
        }
    }
}

impl std::fmt::Display for MessageKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message_type())
    }
}

use MessageKind as K;
use TransferState as S;

const fn row(from: Option<S>, message: K, sender: Sender, to: S) -> Transition<S, K> {
    Transition::new(from, message, sender, to)
}

static ROWS: [Transition<S, K>; 8] = [
    row(None, K::Request, Sender::Consumer, S::Requested),
    row(Some(S::Requested), K::Start, Sender::Provider, S::Started),
    row(
        Some(S::Requested),
        K::Termination,
        Sender::Either,
        S::Terminated,
    ),
    row(
        Some(S::Started),
        K::Suspension,
        Sender::Either,
        S::Suspended,
    ),
    row(
        Some(S::Started),
        K::Completion,
        Sender::Either,
        S::Completed,
    ),
    row(
        Some(S::Started),
        K::Termination,
        Sender::Either,
        S::Terminated,
    ),
    row(Some(S::Suspended), K::Start, Sender::Either, S::Started),
    row(
        Some(S::Suspended),
        K::Termination,
        Sender::Either,
        S::Terminated,
    ),
];

/// The transfer process state machine. COMPLETED and TERMINATED have no outgoing rows.
pub static TRANSFER: TransitionTable<S, K> = TransitionTable::new(&ROWS);

/// True for COMPLETED and TERMINATED.
pub fn is_terminal(state: S) -> bool {
    matches!(state, S::Completed | S::Terminated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::Role::{Consumer as C, Provider as P};

    #[test]
    fn the_tck_positive_sequences_are_allowed() {
        let t = &TRANSFER;
        let s = t.next(None, K::Request, C).expect("request");
        let s = t.next(Some(s), K::Start, P).expect("start");
        let s = t.next(Some(s), K::Suspension, C).expect("suspend");
        let s = t.next(Some(s), K::Start, C).expect("consumer restarts");
        let s = t
            .next(Some(s), K::Suspension, P)
            .expect("provider suspends");
        let s = t.next(Some(s), K::Start, P).expect("provider restarts");
        assert_eq!(t.next(Some(s), K::Completion, C), Ok(S::Completed));
        assert_eq!(t.next(Some(s), K::Completion, P), Ok(S::Completed));
        assert_eq!(
            t.next(Some(S::Requested), K::Termination, C),
            Ok(S::Terminated)
        );
        assert_eq!(
            t.next(Some(S::Suspended), K::Termination, P),
            Ok(S::Terminated)
        );
    }

    #[test]
    fn the_tck_negative_sequences_are_refused() {
        let t = &TRANSFER;
        assert!(t.next(Some(S::Requested), K::Completion, C).is_err()); // TP:03-01
        assert!(t.next(Some(S::Requested), K::Suspension, C).is_err()); // TP:03-02
        assert!(t.next(Some(S::Suspended), K::Completion, C).is_err()); // TP:03-03
        assert!(t.next(Some(S::Terminated), K::Start, C).is_err()); // TP:03-04
        assert!(t.next(Some(S::Terminated), K::Suspension, C).is_err()); // TP:03-05
        assert!(t.next(Some(S::Terminated), K::Completion, C).is_err()); // TP:03-06
        assert!(t.next(Some(S::Requested), K::Completion, P).is_err()); // TP_C:03-01
        assert!(t.next(Some(S::Requested), K::Suspension, P).is_err()); // TP_C:03-02
        assert!(t.next(Some(S::Suspended), K::Completion, P).is_err()); // TP_C:03-03
        assert!(t.next(Some(S::Terminated), K::Start, P).is_err()); // TP_C:03-04
        // only the provider starts a requested transfer; only the consumer requests
        assert!(t.next(Some(S::Requested), K::Start, C).is_err());
        assert!(t.next(None, K::Request, P).is_err());
        assert!(t.next(Some(S::Started), K::Start, P).is_err());
        for k in [
            K::Request,
            K::Start,
            K::Suspension,
            K::Completion,
            K::Termination,
        ] {
            for who in [C, P] {
                assert!(t.next(Some(S::Completed), k, who).is_err());
                assert!(t.next(Some(S::Terminated), k, who).is_err());
            }
        }
    }
}
