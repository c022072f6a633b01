//! A deterministic generator of varied participants and datasets, shaped after the real
//! catalogues in `../shared/specs/dcat-ap-de/catalogs` (municipal topics such as playgrounds,
//! budgets, traffic counts, press releases; titles with place and year; several distributions
//! in CSV, JSON, GeoJSON, XLSX or PDF; open licences mostly, some closed; optional English,
//! temporal coverage or none). Place and organisation names are synthetic; the regions are
//! real municipality keys.
//!
//! The same `(n, seed)` always gives the same values, and `generate_datasets(k, s)` is a prefix
//! of `generate_datasets(n, s)` for `k ≤ n`.
//!
//! ```
//! use vocab::showcase::generate_datasets;
//! let a = generate_datasets(50, 7);
//! assert_eq!(a, generate_datasets(50, 7));
//! assert_eq!(a[..10], generate_datasets(10, 7)[..]);
//! assert!(a.iter().all(|d| d.check().is_ok()));
//! ```

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{catalog_iri, dataset_iri, dsp_endpoint, service_iri};
use crate::ags::Ags;
use crate::model::{
    ContactPoint, DataService, DataTheme, Dataset, Distribution, FileType, Frequency, License,
    MediaType, Participant, ParticipantType, SelfDescription, TemporalCoverage, Text,
};

/// How many datasets a generated participant publishes on average.
const DATASETS_PER_PARTICIPANT: usize = 25;

/// A topic: theme, German and English title stems, keywords, whether it is personal-adjacent,
/// whether it is usually published per year.
struct Topic {
    theme: DataTheme,
    de: &'static str,
    en: &'static str,
    keywords: &'static [&'static str],
    personal_adjacent: bool,
    yearly: bool,
}

const fn topic(
    theme: DataTheme,
    de: &'static str,
    en: &'static str,
    keywords: &'static [&'static str],
    personal_adjacent: bool,
    yearly: bool,
) -> Topic {
    Topic {
        theme,
        de,
        en,
        keywords,
        personal_adjacent,
        yearly,
    }
}

const TOPICS: &[Topic] = &[
    topic(
        DataTheme::Energy,
        "Stromverbrauch je Baublock",
        "Electricity consumption per building block",
        &["Strom", "Energie", "Wärmeplanung", "Baublock"],
        true,
        true,
    ),
    topic(
        DataTheme::Energy,
        "Gasverbrauch je Straßenabschnitt",
        "Gas consumption per street section",
        &["Gas", "Wärme", "Wärmeplanung"],
        true,
        true,
    ),
    topic(
        DataTheme::Energy,
        "Photovoltaikanlagen",
        "Photovoltaic installations",
        &["Solar", "Photovoltaik", "Erneuerbare Energien"],
        false,
        false,
    ),
    topic(
        DataTheme::Energy,
        "Fernwärmenetz",
        "District heating network",
        &["Fernwärme", "Wärmenetz", "Wärmeplanung"],
        false,
        false,
    ),
    topic(
        DataTheme::Energy,
        "Ladesäulen für Elektrofahrzeuge",
        "Charging stations for electric vehicles",
        &["Elektromobilität", "Ladesäule", "Energie"],
        false,
        false,
    ),
    topic(
        DataTheme::Environment,
        "Baumkataster",
        "Tree register",
        &["Bäume", "Stadtgrün", "Umwelt"],
        false,
        false,
    ),
    topic(
        DataTheme::Environment,
        "Luftmessstationen",
        "Air quality stations",
        &["Luftqualität", "Feinstaub", "Stickstoffdioxid"],
        false,
        true,
    ),
    topic(
        DataTheme::Environment,
        "Hochwassergefahrenkarte",
        "Flood hazard map",
        &["Hochwasser", "Starkregen", "Klimaanpassung"],
        false,
        false,
    ),
    topic(
        DataTheme::Environment,
        "Abfallbehälter und Recyclinghöfe",
        "Waste bins and recycling centres",
        &["Abfall", "Recycling", "Entsorgung"],
        false,
        false,
    ),
    topic(
        DataTheme::Environment,
        "Kleingartenanlagen",
        "Allotment gardens",
        &["Kleingarten", "Grünflächen"],
        false,
        false,
    ),
    topic(
        DataTheme::Transport,
        "Verkehrszählungen",
        "Traffic counts",
        &["Verkehr", "Zählstellen", "Mobilität"],
        false,
        true,
    ),
    topic(
        DataTheme::Transport,
        "Haltestellen des ÖPNV",
        "Public transport stops",
        &["ÖPNV", "Haltestelle", "Bus"],
        false,
        false,
    ),
    topic(
        DataTheme::Transport,
        "Fahrradabstellanlagen",
        "Bicycle parking",
        &["Radverkehr", "Fahrrad", "Mobilität"],
        false,
        false,
    ),
    topic(
        DataTheme::Transport,
        "Lichtsignalanlagen",
        "Traffic lights",
        &["Ampel", "Verkehr"],
        false,
        false,
    ),
    topic(
        DataTheme::Transport,
        "Pendlerströme",
        "Commuter flows",
        &["Pendler", "Mobilität", "Arbeitsort"],
        true,
        true,
    ),
    topic(
        DataTheme::Society,
        "Einwohnerzahlen nach Stadtteilen",
        "Population by district",
        &["Bevölkerung", "Einwohner", "Statistik"],
        false,
        true,
    ),
    topic(
        DataTheme::Society,
        "Vornamen der Neugeborenen",
        "First names of newborns",
        &["Vornamen", "Geburten", "Statistik"],
        false,
        true,
    ),
    topic(
        DataTheme::Society,
        "Pflegebedarf nach Quartieren",
        "Care needs by neighbourhood",
        &["Pflege", "Senioren", "Sozialplanung"],
        true,
        true,
    ),
    topic(
        DataTheme::Education,
        "Kinderbetreuungseinrichtungen",
        "Childcare facilities",
        &["Kita", "Kinderbetreuung", "Familie"],
        false,
        false,
    ),
    topic(
        DataTheme::Education,
        "Schülerzahlen je Schule",
        "Pupils per school",
        &["Schule", "Schulentwicklungsplanung", "Bildung"],
        true,
        true,
    ),
    topic(
        DataTheme::Education,
        "Spielplätze",
        "Playgrounds",
        &["Spielplatz", "Kinder", "Freizeit"],
        false,
        false,
    ),
    topic(
        DataTheme::Education,
        "Bibliotheken und Museen",
        "Libraries and museums",
        &["Kultur", "Bibliothek", "Museum"],
        false,
        false,
    ),
    topic(
        DataTheme::Health,
        "Apotheken und Ärztehäuser",
        "Pharmacies and medical centres",
        &["Gesundheit", "Apotheke", "Arzt"],
        false,
        false,
    ),
    topic(
        DataTheme::Health,
        "Rettungsdiensteinsätze je Planbereich",
        "Ambulance calls per planning area",
        &["Rettungsdienst", "Notfall", "Gesundheit"],
        true,
        true,
    ),
    topic(
        DataTheme::Government,
        "Haushaltsplan",
        "Budget",
        &["Haushalt", "Finanzen", "Verwaltung"],
        false,
        true,
    ),
    topic(
        DataTheme::Government,
        "Pressemitteilungen",
        "Press releases",
        &["Presse", "Verwaltung"],
        false,
        true,
    ),
    topic(
        DataTheme::Government,
        "Wahlergebnisse der Kommunalwahl",
        "Municipal election results",
        &["Wahlen", "Kommunalwahl"],
        false,
        true,
    ),
    topic(
        DataTheme::Economy,
        "Gewerbeanmeldungen",
        "Business registrations",
        &["Gewerbe", "Wirtschaft"],
        false,
        true,
    ),
    topic(
        DataTheme::Economy,
        "Zuwendungen und Förderungen",
        "Grants and subsidies",
        &["Förderung", "Zuwendung", "Finanzen"],
        false,
        true,
    ),
    topic(
        DataTheme::Regions,
        "Bebauungspläne",
        "Development plans",
        &["Bebauungsplan", "Stadtplanung", "Bauleitplanung"],
        false,
        false,
    ),
    topic(
        DataTheme::Regions,
        "Gemarkungen und Flurstücke",
        "Cadastral districts and parcels",
        &["Kataster", "Flurstück", "Geodaten"],
        false,
        false,
    ),
    topic(
        DataTheme::Regions,
        "Wohnungsleerstand je Baublock",
        "Vacant dwellings per building block",
        &["Wohnen", "Leerstand", "Stadtentwicklung"],
        true,
        true,
    ),
    topic(
        DataTheme::Justice,
        "Verkehrsunfälle",
        "Road accidents",
        &["Unfall", "Verkehrssicherheit", "Polizei"],
        false,
        true,
    ),
    topic(
        DataTheme::Science,
        "Breitbandversorgung",
        "Broadband coverage",
        &["Breitband", "Digitalisierung", "Internet"],
        false,
        true,
    ),
    topic(
        DataTheme::Agriculture,
        "Landwirtschaftliche Flächennutzung",
        "Agricultural land use",
        &["Landwirtschaft", "Flächennutzung"],
        false,
        true,
    ),
    topic(
        DataTheme::International,
        "Städtepartnerschaften",
        "Twin towns",
        &["Partnerschaft", "International"],
        false,
        false,
    ),
];

const PLACE_HEADS: &[&str] = &[
    "Linden", "Birken", "Eichen", "Buchen", "Tannen", "Erlen", "Weiden", "Ahorn", "Rosen",
    "Sonnen", "Berg", "Wald", "See", "Fluss", "Stein", "Mühl", "Kirch", "Hohen", "Neu", "Alt",
    "Ober", "Nieder", "Mittel", "Grün", "Wiesen", "Hasel", "Kranich", "Falken", "Rabens", "Wolfs",
];
const PLACE_TAILS: &[&str] = &[
    "bach", "feld", "hausen", "heim", "dorf", "stadt", "burg", "berg", "au", "tal", "hagen",
    "rode", "brück", "furt", "hofen", "ingen", "stedt", "wald", "kirchen", "born",
];

/// (media type, EU file type) pairs and how often they occur.
const FORMATS: &[(&str, &str, u32)] = &[
    ("text/csv", "CSV", 40),
    ("application/json", "JSON", 15),
    ("application/geo+json", "GEOJSON", 15),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "XLSX",
        12,
    ),
    ("application/pdf", "PDF", 10),
    ("application/xml", "XML", 5),
    ("application/zip", "ZIP", 3),
];

/// Licence ids and weights, after the real catalogues (mostly dl-by-de/2.0 and CC BY).
const LICENSE_WEIGHTS: &[(&str, u32)] = &[
    ("dl-by-de/2.0", 40),
    ("cc-by/4.0", 18),
    ("dl-zero-de/2.0", 12),
    ("cc-zero", 6),
    ("cc-by-sa/4.0", 4),
    ("odbl", 3),
    ("officialWork", 3),
    ("other-open", 2),
    ("other-closed", 8),
    ("other-commercial", 4),
];

const FREQUENCIES: &[Frequency] = &[
    Frequency::Annual,
    Frequency::Annual,
    Frequency::Monthly,
    Frequency::Quarterly,
    Frequency::Irregular,
    Frequency::Daily,
    Frequency::Continuous,
    Frequency::Never,
    Frequency::Weekly,
    Frequency::Semiannual,
];

/// One independent random stream per (seed, kind, index): SplitMix64 of the three.
fn rng(seed: u64, kind: u64, index: u64) -> StdRng {
    let mut z = seed
        .wrapping_add(kind.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(index.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    StdRng::seed_from_u64(z ^ (z >> 31))
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn weighted<'a, T>(rng: &mut StdRng, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
    let total: u32 = items.iter().map(&weight).sum();
    let mut x = rng.random_range(0..total.max(1));
    for item in items {
        let w = weight(item);
        if x < w {
            return item;
        }
        x -= w;
    }
    &items[items.len() - 1]
}

fn all_keys() -> Vec<Ags> {
    Ags::all().collect()
}

fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            'ä' | 'Ä' => out.push_str("ae"),
            'ö' | 'Ö' => out.push_str("oe"),
            'ü' | 'Ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            c if c.is_ascii_alphanumeric() => out.push(c.to_ascii_lowercase()),
            _ => {
                if !out.ends_with('-') && !out.is_empty() {
                    out.push('-');
                }
            }
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// A generated participant with its synthetic place name and base URL.
struct GeneratedParticipant {
    participant: Participant,
    place: String,
    base: String,
}

fn participant_at(seed: u64, k: usize, keys: &[Ags]) -> GeneratedParticipant {
    let mut r = rng(seed, 1, k as u64);
    let place = format!("{}{}", pick(&mut r, PLACE_HEADS), pick(&mut r, PLACE_TAILS));
    let ags = *pick(&mut r, keys);
    let kind = *weighted(&mut r, &ParticipantType::ALL, |t| match t {
        ParticipantType::Municipality => 50,
        ParticipantType::Company => 25,
        ParticipantType::PublicBody => 15,
        ParticipantType::Research => 10,
    });
    let (name, host_word) = match kind {
        ParticipantType::Municipality => (format!("Stadt {place}"), "stadt"),
        ParticipantType::Company => (format!("Stadtwerke {place} GmbH"), "stadtwerke"),
        ParticipantType::PublicBody => (
            format!("Zweckverband Wasser und Abwasser {place}"),
            "zweckverband",
        ),
        ParticipantType::Research => (format!("Hochschule {place}"), "hochschule"),
    };
    let host = format!("{host_word}-{}-{k}.example", slug(&place));
    let base = format!("https://{host}");
    let contact = if r.random_bool(0.7) {
        ContactPoint::email("Open-Data-Team", format!("daten@{host}"))
    } else {
        ContactPoint::email("Geschäftsstelle", format!("info@{host}")).with_phone(format!(
            "+49 {} {}",
            r.random_range(30..999),
            r.random_range(10_000..999_999)
        ))
    };
    let mut participant = Participant::new(
        format!("did:web:{host}"),
        name,
        kind,
        contact,
        dsp_endpoint(&base),
    )
    .with_homepage(format!("{base}/"));
    if kind == ParticipantType::Municipality || r.random_bool(0.5) {
        participant = participant.with_ags(ags);
    }
    GeneratedParticipant {
        participant,
        place,
        base,
    }
}

/// `n` generated participants (municipalities, utilities, public bodies, research
/// institutes) with synthetic names and real municipality keys.
pub fn generate_participants(n: usize, seed: u64) -> Vec<Participant> {
    let keys = all_keys();
    (0..n)
        .map(|k| participant_at(seed, k, &keys).participant)
        .collect()
}

fn date_in(r: &mut StdRng, from_year: i32, to_year: i32) -> NaiveDate {
    let y = r.random_range(from_year..=to_year);
    let m = r.random_range(1..=12);
    let d = r.random_range(1..=28);
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn dataset_at(seed: u64, i: usize, owner: &GeneratedParticipant, keys: &[Ags]) -> Dataset {
    let mut r = rng(seed, 2, i as u64);
    let t = pick(&mut r, TOPICS);
    let p = &owner.participant;
    let year = r.random_range(2015..=2025);
    let place = owner.place.as_str();
    let (title_de, title_en) = match (t.yearly, r.random_range(0..3)) {
        (true, 0) => (
            format!("{} {place} {year}", t.de),
            format!("{} {place} {year}", t.en),
        ),
        (true, _) => (format!("{} {year}", t.de), format!("{} {year}", t.en)),
        (false, 0) => (
            format!("{} in {place}", t.de),
            format!("{} in {place}", t.en),
        ),
        (false, _) => (t.de.to_owned(), t.en.to_owned()),
    };
    let identifier = format!("{}-{i}", slug(&title_de));
    let id = dataset_iri(&owner.base, &identifier);
    let license = if t.personal_adjacent {
        License::from_id(if r.random_bool(0.7) {
            "other-closed"
        } else {
            "other-commercial"
        })
    } else {
        License::from_id(weighted(&mut r, LICENSE_WEIGHTS, |(_, w)| *w).0)
    }
    .unwrap_or(License::OTHER_OPEN);
    let with_en = r.random_bool(0.35);
    let mut title = Text::de(title_de.clone());
    let sentence = match r.random_range(0..4) {
        0 => format!("Die {} stellt die Daten „{title_de}“ bereit.", p.legal_name),
        1 => format!(
            "{title_de}: Datenbestand der {} mit jährlicher Fortschreibung.",
            p.legal_name
        ),
        2 => format!(
            "Übersicht {}; erhoben und gepflegt von der {}.",
            t.de, p.legal_name
        ),
        _ => format!("{title_de}. Quelle: {}. Stand {year}.", p.legal_name),
    };
    let mut description = Text::de(if t.personal_adjacent {
        format!(
            "{sentence} Personenbeziehbare Einzeldaten werden nur aggregiert und unter Vertrag bereitgestellt."
        )
    } else {
        sentence
    });
    if with_en {
        title = title.with_en(title_en.clone());
        description = description.with_en(format!("{title_en}, published by {}.", p.legal_name));
    }
    let mut d = Dataset::new(id.clone(), title, description, p.agent(), license)
        .with_identifier(identifier)
        .with_keywords(t.keywords.iter().copied().filter(|_| r.random_bool(0.85)))
        .with_theme(t.theme)
        .with_personal_adjacent(t.personal_adjacent);
    if r.random_bool(0.15) {
        d = d.with_theme(*pick(&mut r, DataTheme::ALL));
    }
    let home = p.ags.unwrap_or_else(|| *pick(&mut r, keys));
    d = d.with_spatial(home);
    if r.random_bool(0.1) {
        d = d.with_spatial(*pick(&mut r, keys));
    }
    match (t.yearly, r.random_range(0..4)) {
        (true, _) => {
            if let Some(tc) = TemporalCoverage::year(year) {
                d = d.with_temporal(tc);
            }
        }
        (false, 0) => {
            let start = date_in(&mut r, 2005, 2020);
            d = d.with_temporal(TemporalCoverage {
                start: Some(start),
                end: None,
            });
        }
        _ => {}
    }
    if r.random_bool(0.8) {
        d = d.with_contact_point(p.contact.clone());
    }
    let issued = date_in(&mut r, 2015, 2024);
    let modified = if r.random_bool(0.6) {
        Some(issued + chrono::Days::new(r.random_range(0..400)))
    } else {
        None
    };
    d = d.with_dates(Some(issued), modified);
    if r.random_bool(0.7) {
        d = d.with_frequency(*pick(&mut r, FREQUENCIES));
    }
    if r.random_bool(0.5) {
        let page = format!("{}/daten/{}", owner.base, d.identifier);
        d = d.with_landing_page(page);
    }
    let distributions = if t.personal_adjacent {
        1
    } else {
        r.random_range(1..=3)
    };
    for j in 0..distributions {
        let (media, code, _) = *weighted(&mut r, FORMATS, |f| f.2);
        let mut dist =
            Distribution::new(format!("{id}/distribution-{j}"), dsp_endpoint(&owner.base))
                .with_access_service(service_iri(&owner.base));
        if let (Ok(m), Ok(f)) = (MediaType::new(media), FileType::new(code)) {
            dist = dist.with_format(m, f);
        }
        if license.is_open() && !t.personal_adjacent {
            dist = dist.with_download_url(format!(
                "{}/open/{}.{}",
                owner.base,
                d.identifier,
                code.to_ascii_lowercase()
            ));
        }
        if r.random_bool(0.6) {
            dist = dist.with_title(Text::de(format!("{} ({code})", t.de)));
        }
        if r.random_bool(0.5) {
            dist = dist.with_byte_size(r.random_range(1_000..50_000_000));
        }
        d = d.with_distribution(dist);
    }
    if !license.is_open() || t.personal_adjacent {
        let offer = format!("{}/offers/{}", owner.base, d.identifier);
        d = d.with_offered_policy(offer);
    }
    d
}

fn owners(n: usize, seed: u64, keys: &[Ags]) -> Vec<GeneratedParticipant> {
    let count = n.div_ceil(DATASETS_PER_PARTICIPANT).max(1);
    (0..count).map(|k| participant_at(seed, k, keys)).collect()
}

/// Dataset `i` belongs to participant `i / DATASETS_PER_PARTICIPANT`, so prefixes stay stable.
fn owner_of(i: usize) -> usize {
    i / DATASETS_PER_PARTICIPANT
}

/// `n` varied datasets from `seed` (deterministic); about 25 per publisher. Fast enough for
/// benchmarks of 100,000 datasets.
pub fn generate_datasets(n: usize, seed: u64) -> Vec<Dataset> {
    let keys = all_keys();
    let owners = owners(n, seed, &keys);
    (0..n)
        .map(|i| dataset_at(seed, i, &owners[owner_of(i)], &keys))
        .collect()
}

/// The datasets of [`generate_datasets`] grouped into one self-description per publisher.
pub fn generate_self_descriptions(n_datasets: usize, seed: u64) -> Vec<SelfDescription> {
    let keys = all_keys();
    let owners = owners(n_datasets, seed, &keys);
    let mut by_owner: BTreeMap<usize, Vec<Dataset>> = BTreeMap::new();
    for i in 0..n_datasets {
        by_owner.entry(owner_of(i)).or_default().push(dataset_at(
            seed,
            i,
            &owners[owner_of(i)],
            &keys,
        ));
    }
    by_owner
        .into_iter()
        .map(|(k, datasets)| {
            let o = &owners[k];
            let name = o.participant.legal_name.clone();
            let mut sd = SelfDescription::new(
                catalog_iri(&o.base),
                Text::de(format!("Datenkatalog: {name}")),
                Text::de(format!(
                    "Datensätze, die {name} im kommunalen Datenraum anbietet."
                )),
                o.participant.clone(),
                DataService::new(
                    service_iri(&o.base),
                    Text::de(format!("Konnektor von {name}")),
                    dsp_endpoint(&o.base),
                ),
            );
            sd.datasets = datasets;
            sd
        })
        .collect()
}
