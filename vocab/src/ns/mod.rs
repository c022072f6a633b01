//! Vocabulary terms as constants, one module per namespace.
//!
//! Every term is an [`oxigraph::model::NamedNodeRef`] usable in `const` context:
//!
//! ```
//! use vocab::ns::dcat;
//! assert_eq!(dcat::DATASET.as_str(), "http://www.w3.org/ns/dcat#Dataset");
//! ```

/// Declares a namespace module: its IRI prefix and its terms.
macro_rules! namespace {
    ($(#[$meta:meta])* $module:ident, $prefix:literal, { $($(#[$tmeta:meta])* $konst:ident = $local:literal),* $(,)? }) => {
        $(#[$meta])*
        pub mod $module {
            use oxigraph::model::NamedNodeRef;
            /// The namespace IRI; every term of this module starts with it.
            pub const NAMESPACE: &str = $prefix;
            $(
                $(#[$tmeta])*
                #[doc = concat!("`", $prefix, $local, "`")]
                pub const $konst: NamedNodeRef<'static> =
                    NamedNodeRef::new_unchecked(concat!($prefix, $local));
            )*
        }
    };
}

namespace!(
    /// RDF 1.1 concepts.
    rdf, "http://www.w3.org/1999/02/22-rdf-syntax-ns#", {
    TYPE = "type", FIRST = "first", REST = "rest", NIL = "nil", VALUE = "value",
    LANG_STRING = "langString", LIST = "List", PROPERTY = "Property", STATEMENT = "Statement",
});

namespace!(
    /// RDF Schema.
    rdfs, "http://www.w3.org/2000/01/rdf-schema#", {
    LABEL = "label", COMMENT = "comment", SUB_CLASS_OF = "subClassOf", SEE_ALSO = "seeAlso",
    CLASS = "Class", RESOURCE = "Resource", LITERAL = "Literal",
});

namespace!(
    /// XML Schema datatypes.
    xsd, "http://www.w3.org/2001/XMLSchema#", {
    STRING = "string", BOOLEAN = "boolean", INTEGER = "integer", DECIMAL = "decimal",
    DOUBLE = "double", FLOAT = "float", DATE_TIME = "dateTime", DATE = "date", DURATION = "duration",
    ANY_URI = "anyURI", NON_NEGATIVE_INTEGER = "nonNegativeInteger", INT = "int", LONG = "long",
    G_YEAR = "gYear", DATE_TIME_STAMP = "dateTimeStamp",
});

namespace!(
    /// DCMI Metadata Terms.
    dct, "http://purl.org/dc/terms/", {
    TITLE = "title", DESCRIPTION = "description", IDENTIFIER = "identifier", ISSUED = "issued",
    MODIFIED = "modified", PUBLISHER = "publisher", CREATOR = "creator", LICENSE = "license",
    SPATIAL = "spatial", TEMPORAL = "temporal", ACCESS_RIGHTS = "accessRights",
    LANGUAGE = "language", FORMAT = "format", CONFORMS_TO = "conformsTo", TYPE = "type",
    RIGHTS = "rights", ACCRUAL_PERIODICITY = "accrualPeriodicity", LOCATION = "Location",
    PERIOD_OF_TIME = "PeriodOfTime", LICENSE_DOCUMENT = "LicenseDocument",
    RIGHTS_STATEMENT = "RightsStatement", MEDIA_TYPE = "MediaType",
    AGENT_CLASS = "AgentClass", HAS_PART = "hasPart", IS_PART_OF = "isPartOf",
    SOURCE = "source", REFERENCES = "references", PROVENANCE = "provenance",
});

namespace!(
    /// Data Catalog Vocabulary (DCAT 3).
    dcat, "http://www.w3.org/ns/dcat#", {
    CATALOG = "Catalog", DATASET = "Dataset", DISTRIBUTION = "Distribution",
    DATA_SERVICE = "DataService", CATALOG_RECORD = "CatalogRecord", KEYWORD = "keyword",
    THEME = "theme", CONTACT_POINT = "contactPoint", DISTRIBUTION_PROP = "distribution",
    DATASET_PROP = "dataset", SERVICE = "service", ACCESS_URL = "accessURL",
    DOWNLOAD_URL = "downloadURL", MEDIA_TYPE = "mediaType", START_DATE = "startDate",
    END_DATE = "endDate", ENDPOINT_URL = "endpointURL",
    ENDPOINT_DESCRIPTION = "endpointDescription", SERVES_DATASET = "servesDataset",
    LANDING_PAGE = "landingPage", BYTE_SIZE = "byteSize", ACCESS_SERVICE = "accessService",
    THEME_TAXONOMY = "themeTaxonomy", RECORD = "record", BBOX = "bbox",
});

namespace!(
    /// DCAT-AP.de additions (`dcatde:`).
    dcatde, "http://dcat-ap.de/def/dcatde/", {
    POLITICAL_GEOCODING_URI = "politicalGeocodingURI",
    POLITICAL_GEOCODING_LEVEL_URI = "politicalGeocodingLevelURI",
    LICENSE_ATTRIBUTION_BY_TEXT = "licenseAttributionByText", CONTRIBUTOR_ID = "contributorID",
    MAINTAINER = "maintainer", ORIGINATOR = "originator", GEOCODING_DESCRIPTION = "geocodingDescription",
    LEGAL_BASIS = "legalBasis", QUALITY_PROCESS_URI = "qualityProcessURI",
});

namespace!(
    /// Friend of a Friend.
    foaf, "http://xmlns.com/foaf/0.1/", {
    AGENT = "Agent", ORGANIZATION = "Organization", PERSON = "Person", NAME = "name",
    HOMEPAGE = "homepage", MBOX = "mbox", PAGE = "page", PRIMARY_TOPIC = "primaryTopic",
});

namespace!(
    /// vCard ontology (contact points).
    vcard, "http://www.w3.org/2006/vcard/ns#", {
    KIND = "Kind", ORGANIZATION = "Organization", INDIVIDUAL = "Individual", FN = "fn",
    HAS_EMAIL = "hasEmail", HAS_URL = "hasURL", HAS_TELEPHONE = "hasTelephone",
    HAS_ADDRESS = "hasAddress", ORGANIZATION_NAME = "organization-name",
});

namespace!(
    /// ODRL 2.2 information model and common vocabulary.
    odrl, "http://www.w3.org/ns/odrl/2/", {
    POLICY = "Policy", SET = "Set", OFFER = "Offer", AGREEMENT = "Agreement",
    PERMISSION = "Permission", PROHIBITION = "Prohibition", DUTY = "Duty",
    CONSTRAINT = "Constraint", LOGICAL_CONSTRAINT = "LogicalConstraint", ASSET = "Asset",
    PARTY = "Party", ACTION = "Action", UID = "uid", PROFILE = "profile",
    PERMISSION_PROP = "permission", PROHIBITION_PROP = "prohibition", OBLIGATION = "obligation",
    DUTY_PROP = "duty", ACTION_PROP = "action", TARGET = "target", ASSIGNER = "assigner",
    ASSIGNEE = "assignee", CONSTRAINT_PROP = "constraint", LEFT_OPERAND = "leftOperand",
    OPERATOR = "operator", RIGHT_OPERAND = "rightOperand",
    RIGHT_OPERAND_REFERENCE = "rightOperandReference", DATA_TYPE = "dataType", UNIT = "unit",
    REFINEMENT = "refinement", AND = "and", OR = "or", XONE = "xone", AND_SEQUENCE = "andSequence",
    CONSEQUENCE = "consequence", REMEDY = "remedy", HAS_POLICY = "hasPolicy",
    EQ = "eq", NEQ = "neq", LT = "lt", LTEQ = "lteq", GT = "gt", GTEQ = "gteq", IS_A = "isA",
    IS_PART_OF = "isPartOf", IS_ANY_OF = "isAnyOf", IS_ALL_OF = "isAllOf",
    IS_NONE_OF = "isNoneOf", HAS_PART = "hasPart",
    USE = "use", DISTRIBUTE = "distribute", DELETE = "delete", READ = "read",
    REPRODUCE = "reproduce", AGGREGATE = "aggregate", ANONYMIZE = "anonymize",
    ATTRIBUTE = "attribute", COMPENSATE = "compensate", INFORM = "inform",
    NEXT_POLICY = "nextPolicy", INCLUDED_IN = "includedIn", TRANSFER = "transfer",
    DATE_TIME = "dateTime", ELAPSED_TIME = "elapsedTime", COUNT = "count", PURPOSE = "purpose",
    SPATIAL = "spatial", RECIPIENT = "recipient", DELAY_PERIOD = "delayPeriod",
    PAY_AMOUNT = "payAmount", EVENT = "event", INDUSTRY = "industry",
});

namespace!(
    /// Eclipse Dataspace Protocol 2025-1 (`dspace:`).
    dspace, "https://w3id.org/dspace/2025/1/", {
    CATALOG_REQUEST_MESSAGE = "CatalogRequestMessage",
    DATASET_REQUEST_MESSAGE = "DatasetRequestMessage",
    CONTRACT_REQUEST_MESSAGE = "ContractRequestMessage",
    CONTRACT_OFFER_MESSAGE = "ContractOfferMessage",
    CONTRACT_AGREEMENT_MESSAGE = "ContractAgreementMessage",
    CONTRACT_AGREEMENT_VERIFICATION_MESSAGE = "ContractAgreementVerificationMessage",
    CONTRACT_NEGOTIATION_EVENT_MESSAGE = "ContractNegotiationEventMessage",
    CONTRACT_NEGOTIATION_TERMINATION_MESSAGE = "ContractNegotiationTerminationMessage",
    CONTRACT_NEGOTIATION = "ContractNegotiation", CONTRACT_NEGOTIATION_ERROR = "ContractNegotiationError",
    TRANSFER_REQUEST_MESSAGE = "TransferRequestMessage", TRANSFER_START_MESSAGE = "TransferStartMessage",
    TRANSFER_SUSPENSION_MESSAGE = "TransferSuspensionMessage",
    TRANSFER_COMPLETION_MESSAGE = "TransferCompletionMessage",
    TRANSFER_TERMINATION_MESSAGE = "TransferTerminationMessage",
    TRANSFER_PROCESS = "TransferProcess", TRANSFER_ERROR = "TransferError",
    CATALOG_ERROR = "CatalogError", DATA_ADDRESS = "DataAddress",
    PROVIDER_PID = "providerPid", CONSUMER_PID = "consumerPid",
    CALLBACK_ADDRESS = "callbackAddress", STATE = "state", CODE = "code", REASON = "reason",
    PARTICIPANT_ID = "participantId", ENDPOINT_TYPE = "endpointType", ENDPOINT = "endpoint",
    ENDPOINT_PROPERTIES = "endpointProperties",
});

namespace!(
    /// W3C Data Privacy Vocabulary (purposes used by the Charta).
    dpv, "https://w3id.org/dpv#", {
    PURPOSE = "Purpose", PUBLIC_BENEFIT = "PublicBenefit",
    IMPROVE_PUBLIC_SERVICES = "ImprovePublicServices",
    IMPROVE_TRANSPORT_MOBILITY = "ImproveTransportMobility",
    COMBAT_CLIMATE_CHANGE = "CombatClimateChange", IMPROVE_HEALTHCARE = "ImproveHealthcare",
    PROVIDE_OFFICIAL_STATISTICS = "ProvideOfficialStatistics",
    PUBLIC_POLICY_MAKING = "PublicPolicyMaking", RESEARCH_AND_DEVELOPMENT = "ResearchAndDevelopment",
    ACADEMIC_RESEARCH = "AcademicResearch", COMMERCIAL_PURPOSE = "CommercialPurpose",
    MARKETING = "Marketing", ADVERTISING = "Advertising",
    PERSONALISED_ADVERTISING = "PersonalisedAdvertising",
});

namespace!(
    /// The project's own terms: Charta, participants, connector specifics (`gwd:`).
    gwd, "https://w3id.org/gemeinwohl-datenraum/ns#", {
    PARTICIPANT = "Participant", PARTICIPANT_TYPE = "participantType",
    MUNICIPALITY = "Municipality", PUBLIC_BODY = "PublicBody", COMPANY = "Company",
    RESEARCH = "Research", AGS = "ags", CONNECTOR_ENDPOINT = "connectorEndpoint",
    PERSONAL_ADJACENT = "personalAdjacent", OFFERED_POLICY = "offeredPolicy",
    CHARTA = "Charta", CHARTA_VERSION = "chartaVersion", CHARTA_HASH = "chartaHash",
    PRINCIPLE = "Principle", MEMBERSHIP = "membership", RECIPIENT_TYPE = "recipientType",
    RECIPIENT_AGS = "recipientAgs", SPATIAL_SCOPE = "spatialScope",
    AGGREGATION_THRESHOLD = "aggregationThreshold", CHARTA_MEMBERSHIP = "chartaMembership",
    REIDENTIFY = "reidentify", SHARE_RESULTS = "shareResults", LOG_ACCESS = "logAccess",
    PUBLISH_REGISTER = "publishToRegister", SANDBOX_ACCESS = "sandboxAccess",
    HEAT_PLANNING = "Waermeplanung", TEMPLATE = "template", TEMPLATE_VERSION = "templateVersion",
    DATA_SPACE_MEMBER = "DataSpaceMember",
    /// The participant's contact point (a `vcard:Kind`).
    CONTACT_POINT = "contactPoint",
    /// Type of a published self-description envelope (JWS `typ` suffix).
    SELF_DESCRIPTION = "SelfDescription",
});

namespace!(
    /// SKOS (concept schemes of the controlled vocabularies).
    skos, "http://www.w3.org/2004/02/skos/core#", {
    CONCEPT = "Concept", CONCEPT_SCHEME = "ConceptScheme", IN_SCHEME = "inScheme",
    PREF_LABEL = "prefLabel", NOTATION = "notation",
});
