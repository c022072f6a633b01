//! The command line: every subcommand and option, with the help texts `--help` prints.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// The command line: global options and the subcommand.
#[derive(Parser)]
#[command(
    name = "connector",
    version,
    about = "The connector of the municipal data space: offer datasets under clear contracts, find and negotiate data of others.",
    long_about = "The connector of the municipal data space (Kommunaler Datenraum).\n\n\
        Every municipality and data holder runs one. It speaks the Eclipse Dataspace Protocol \
        (DSP 2025-1) with other connectors, negotiates contracts grounded in the Data-Sharing \
        Charta and keeps the signed agreements.\n\n\
        Start with `connector init`, then `connector serve`. All other commands talk to the \
        running connector through its management API (the address and token come from the \
        configuration file).",
    after_help = "Examples:\n  connector init --dir /srv/konnektor --public-url https://daten.musterstadt.example:8443 --legal-name \"Stadt Musterstadt\" --authority-did did:web:broker.example --authority-key authority.jwk\n  connector serve --config /srv/konnektor/connector.toml\n  connector import inventar.csv\n  connector negotiate --connector https://stadtwerke.example:8443/dsp --dataset strom-2024 --purpose gwd:Waermeplanung\n  connector negotiations list --waiting"
)]
pub struct Cli {
    /// The configuration file.
    #[arg(
        long,
        short,
        global = true,
        env = "CONNECTOR_CONFIG",
        default_value = "connector.toml"
    )]
    pub config: PathBuf,
    /// Print the API's JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Create a participant: key pair, did:web, management token, TLS certificate, data
    /// folder and a documented configuration file.
    Init(InitArgs),
    /// Run the connector (DSP protocol port and management port) until SIGTERM or Ctrl-C.
    Serve,
    /// Import metadata as assets: a CSV inventory (Metadatenkatalog) or a DCAT-AP.de
    /// catalogue (.ttl, .rdf, .jsonld). Prints a report per row; rows with problems are
    /// skipped, the rest is stored.
    Import(ImportArgs),
    /// Show the running connector's identity and state, its membership and publication.
    Status,
    /// Apply for membership at the federation's broker: pin the authority key, accept the
    /// Charta, send the join request, and store the credential once approved (a dev broker
    /// approves at once). A running connector uses it without a restart.
    #[command(
        after_help = "Examples:\n  connector join --broker https://broker.example --type municipality --ags 09162000 --authority-thumbprint <thumbprint from the federation>\n  connector join --status\n  connector join --broker https://broker.example --type company --wait 3600"
    )]
    Join(JoinArgs),
    /// Publish this connector's self-description (participant, connector, datasets with
    /// their offers' terms) at the broker now, and keep it published.
    Publish,
    /// Withdraw the self-description from the broker (signed deletion) and stop publishing
    /// until `connector publish`.
    Unpublish,
    /// The datasets this connector offers.
    #[command(subcommand)]
    Assets(AssetsCommand),
    /// Contract templates written by legal teams.
    #[command(subcommand)]
    Templates(TemplatesCommand),
    /// Offers: an asset under a template's terms.
    #[command(subcommand)]
    Offers(OffersCommand),
    /// Show another connector's catalog (the offers it shows to you).
    Catalog(CounterpartyArgs),
    /// Start a contract negotiation for a dataset of another connector.
    Negotiate(NegotiateArgs),
    /// Watch and decide on contract negotiations.
    #[command(subcommand)]
    Negotiations(NegotiationsCommand),
    /// Concluded agreements with their German contract text.
    #[command(subcommand)]
    Agreements(AgreementsCommand),
    /// Start a transfer of data under an agreement (this connector the consumer).
    Transfer(super::transfers::TransferArgs),
    /// Watch and steer transfer processes.
    #[command(subcommand)]
    Transfers(super::transfers::TransfersCommand),
    /// Pull a started transfer's data into the connector's managed folder, with a progress
    /// bar (rate, ETA); resumes a partial download; verifies the SHA-256 before storing.
    Fetch(super::transfers::FetchArgs),
    /// Check and read the audit log (works while the connector is stopped, too).
    #[command(subcommand)]
    Audit(super::transfers::AuditCommand),
    /// Print the management API's OpenAPI document.
    Openapi,
    /// Ask a sandbox for aggregates through a started Sandbox-QUERY transfer: groups of at
    /// least k records, and how many were suppressed (feature `sandbox`).
    #[cfg(feature = "sandbox")]
    Query(super::query::QueryArgs),
}

/// `connector init`.
#[derive(Args)]
pub struct InitArgs {
    /// The folder to create the participant in.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    /// How other connectors reach this one: scheme, host and port (the did:web derives from it).
    #[arg(long)]
    pub public_url: String,
    /// The participant's legal name.
    #[arg(long)]
    pub legal_name: String,
    /// Where the DSP protocol listener binds.
    #[arg(long, default_value = "0.0.0.0:8443")]
    pub dsp_listen: String,
    /// Where the management API binds (keep it on localhost).
    #[arg(long, default_value = "127.0.0.1:8444")]
    pub management_listen: String,
    /// The federation authority's DID (the broker's).
    #[arg(long)]
    pub authority_did: String,
    /// The authority's public key (JWK, as in its did.json) to pin.
    #[arg(long)]
    pub authority_key: Option<PathBuf>,
}

/// `connector join`.
#[derive(Args)]
pub struct JoinArgs {
    /// The broker's base URL, e.g. https://broker.example.
    #[arg(long)]
    pub broker: Option<String>,
    /// The authority key's JWK thumbprint (RFC 7638) as the federation told you out of band;
    /// joining is refused when the broker presents another key.
    #[arg(long)]
    pub authority_thumbprint: Option<String>,
    /// What this participant is: municipality, public_body, company or research.
    #[arg(long = "type", value_name = "TYPE")]
    pub participant_type: Option<String>,
    /// The municipality key (AGS, 8 digits); required for a municipality.
    #[arg(long)]
    pub ags: Option<String>,
    /// Ask the broker how the request sent earlier stands (stores the credential once
    /// approved) instead of sending one.
    #[arg(long, conflicts_with_all = ["broker", "authority_thumbprint", "participant_type", "ags"])]
    pub status: bool,
    /// Wait until the operator decides, at most this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub wait: Option<u64>,
    /// How often to ask while waiting, in seconds.
    #[arg(long, default_value_t = 10)]
    pub poll_secs: u64,
}

/// `connector import`.
#[derive(Args)]
pub struct ImportArgs {
    /// The file: .csv for an inventory; .ttl, .rdf, .xml, .jsonld for a DCAT-AP.de catalogue.
    pub file: PathBuf,
    /// Read and report only; store nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `connector assets …`.
#[derive(Subcommand)]
pub enum AssetsCommand {
    /// List assets.
    List,
    /// Show one asset.
    Show {
        /// The asset id.
        id: String,
    },
    /// Add an asset.
    Add {
        /// Its id (generated when omitted).
        #[arg(long)]
        id: Option<String>,
        /// Title (German).
        #[arg(long)]
        title: String,
        /// Description (German).
        #[arg(long, default_value = "")]
        description: String,
        /// EU data theme codes (repeatable): ENER, ENVI, TRAN, …
        #[arg(long = "theme")]
        themes: Vec<String>,
        /// Keywords (repeatable).
        #[arg(long = "keyword")]
        keywords: Vec<String>,
        /// Municipality key (AGS, 8 digits).
        #[arg(long)]
        ags: Option<String>,
        /// Licence IRI.
        #[arg(long)]
        license: Option<String>,
        /// The data: a file path.
        #[arg(long, conflicts_with = "source")]
        file: Option<String>,
        /// The data: the name of a [sources.NAME] entry of the configuration.
        #[arg(long)]
        source: Option<String>,
        /// Personal-adjacent data (aggregate-only access).
        #[arg(long)]
        personal_adjacent: bool,
    },
    /// Delete an asset and its offers.
    Delete {
        /// The asset id.
        id: String,
    },
}

/// `connector templates …`.
#[derive(Subcommand)]
pub enum TemplatesCommand {
    /// List templates.
    List,
    /// Add a template file (checked against the Charta first).
    Add {
        /// The template file (Markdown with TOML front matter).
        file: PathBuf,
    },
    /// Render a template with parameters and print the German contract.
    Render {
        /// Template id.
        id: String,
        /// Template version.
        version: String,
        /// Parameter values NAME=VALUE (repeatable).
        #[arg(long = "param", value_parser = parse_param)]
        params: Vec<(String, String)>,
    },
}

/// `connector offers …`.
#[derive(Subcommand)]
pub enum OffersCommand {
    /// List offers.
    List,
    /// Offer an asset under a template.
    Add {
        /// The asset.
        #[arg(long)]
        asset: String,
        /// Template id.
        #[arg(long)]
        template: String,
        /// Template version.
        #[arg(long)]
        version: String,
        /// Parameter values NAME=VALUE (repeatable).
        #[arg(long = "param", value_parser = parse_param)]
        params: Vec<(String, String)>,
        /// Only participants of this type see the offer (repeatable): Municipality,
        /// PublicBody, Company, Research.
        #[arg(long = "visible-to-type")]
        types: Vec<String>,
        /// Only participants in this region see it (AGS key or prefix; repeatable).
        #[arg(long = "visible-to-region")]
        regions: Vec<String>,
    },
    /// Withdraw an offer.
    Delete {
        /// The offer id.
        id: String,
    },
}

/// Another connector.
#[derive(Args)]
pub struct CounterpartyArgs {
    /// The other connector's DSP base URL, e.g. https://stadtwerke.example:8443/dsp.
    #[arg(long)]
    pub connector: String,
    /// Its DID (derived from the URL when omitted).
    #[arg(long)]
    pub did: Option<String>,
}

/// `connector negotiate`.
#[derive(Args)]
pub struct NegotiateArgs {
    /// The other connector.
    #[command(flatten)]
    pub counterparty: CounterpartyArgs,
    /// The dataset.
    #[arg(long)]
    pub dataset: String,
    /// The offer (needed when the dataset has several).
    #[arg(long)]
    pub offer: Option<String>,
    /// The purpose, e.g. gwd:Waermeplanung or a DPV IRI.
    #[arg(long)]
    pub purpose: Option<String>,
    /// Wait until the negotiation is finalized or terminated (at most this many seconds).
    #[arg(long)]
    pub wait: Option<u64>,
}

/// `connector negotiations …`.
#[derive(Subcommand)]
pub enum NegotiationsCommand {
    /// List negotiations.
    List {
        /// Only this state.
        #[arg(long)]
        state: Option<String>,
        /// Only those waiting for your decision.
        #[arg(long)]
        waiting: bool,
    },
    /// Show one negotiation with its history and reasons.
    Show {
        /// The negotiation id.
        id: String,
    },
    /// Provider: approve a request waiting for approval.
    Approve {
        /// The negotiation id.
        id: String,
    },
    /// Provider: reject a request.
    Reject {
        /// The negotiation id.
        id: String,
        /// Reasons (repeatable; German first).
        #[arg(long = "reason")]
        reasons: Vec<String>,
    },
    /// Consumer: accept the provider's offer.
    Accept {
        /// The negotiation id.
        id: String,
    },
    /// Propose other terms: a consumer an ODRL policy (JSON file), a provider a stored
    /// template with parameters (its German contract text goes with the offer).
    Counter {
        /// The negotiation id.
        id: String,
        /// Consumer: the policy file.
        #[arg(
            long,
            conflicts_with = "template",
            required_unless_present = "template"
        )]
        offer: Option<PathBuf>,
        /// Provider: the template's id.
        #[arg(long, requires = "template_version")]
        template: Option<String>,
        /// Provider: the template's version.
        #[arg(long = "template-version")]
        template_version: Option<String>,
        /// Provider: a parameter value NAME=VALUE (repeatable).
        #[arg(long = "param", value_parser = parse_param, requires = "template")]
        params: Vec<(String, String)>,
    },
    /// Terminate a negotiation.
    Terminate {
        /// The negotiation id.
        id: String,
        /// Reasons (repeatable; German first).
        #[arg(long = "reason")]
        reasons: Vec<String>,
    },
}

/// `connector agreements …`.
#[derive(Subcommand)]
pub enum AgreementsCommand {
    /// List agreements.
    List,
    /// Show one agreement (signatures and parties).
    Show {
        /// The agreement id.
        id: String,
    },
    /// Print the agreement's German contract text.
    Contract {
        /// The agreement id.
        id: String,
    },
}

/// Reads `NAME=VALUE`.
pub fn parse_param(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .ok_or_else(|| format!("{s:?}: expected NAME=VALUE"))
}
