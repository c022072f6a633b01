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

use super::topics::{FORMATS, FREQUENCIES, LICENSE_WEIGHTS, PLACE_HEADS, PLACE_TAILS, TOPICS};
use super::{catalog_iri, dataset_iri, dsp_endpoint, service_iri};
use crate::ags::Ags;
use crate::model::{
    ContactPoint, DataService, DataTheme, Dataset, Distribution, FileType, License, MediaType,
    Participant, ParticipantType, SelfDescription, TemporalCoverage, Text,
};

/// How many datasets a generated participant publishes on average.
const DATASETS_PER_PARTICIPANT: usize = 25;

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
