//! The demo's dataset: "Wärmebedarf je Baublock 2024" of Stadtwerke Musterstadt, a block-level
//! table for municipal heat planning, and the contract template it is offered under.
//!
//! The table is generated deterministically (same bytes on every run, so its SHA-256 is stable)
//! from plausible building stock figures: per block the number of buildings and dwellings, the
//! heated floor area, the prevailing construction period and heating, and the heat demand that
//! follows from the area and a specific demand typical of the construction period. Blocks with
//! fewer than five buildings are left out, so no row describes a single building or household:
//! the data are not personal-adjacent and can be transferred as a file.

use std::fmt::Write as _;

/// The asset id (the DSP dataset id).
pub const DATASET_ID: &str = "waermebedarf-baublock-2024";
/// The dataset's German title (what the planner searches for and reads).
pub const DATASET_TITLE: &str = "Wärmebedarf je Baublock 2024";
/// The dataset's German description.
pub const DATASET_DESCRIPTION: &str = "Jährlicher Wärmebedarf 2024 der Wohn- und \
    Nichtwohngebäude in Musterstadt, zusammengefasst je Baublock: Zahl der Gebäude und \
    Wohneinheiten, beheizte Fläche, überwiegende Baualtersklasse und Heizungsart, Wärmebedarf \
    in MWh/a und spezifisch in kWh/(m²·a). Nur Baublöcke mit mindestens fünf Gebäuden, ohne \
    Personenbezug. Grundlage für die kommunale Wärmeplanung nach dem Wärmeplanungsgesetz.";
/// Keywords (the broker's search finds "Wärmeplanung").
pub const DATASET_KEYWORDS: [&str; 4] = ["Wärmeplanung", "Wärmebedarf", "Baublock", "Energie"];
/// The purpose the planner names.
pub const PURPOSE: &str = "gwd:Waermeplanung";
/// The contract template (German, Markdown with TOML front matter).
pub const TEMPLATE: &str = include_str!("waermeplanung-baublockdaten.md");

/// Construction periods with a typical specific heat demand in kWh/(m²·a).
const PERIODS: [(&str, f64); 6] = [
    ("vor 1919", 205.0),
    ("1919–1948", 190.0),
    ("1949–1978", 165.0),
    ("1979–1994", 128.0),
    ("1995–2009", 92.0),
    ("ab 2010", 55.0),
];
const HEATING: [&str; 5] = [
    "Erdgas",
    "Fernwärme",
    "Heizöl",
    "Wärmepumpe",
    "Holz/Pellets",
];
const DISTRICTS: [&str; 6] = [
    "Altstadt",
    "Nordviertel",
    "Am Bahnhof",
    "Südstadt",
    "Gewerbegebiet Ost",
    "Neubaugebiet West",
];

/// A small deterministic generator (SplitMix64), so the table is the same on every run.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `[lo, hi]`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// The table as CSV (UTF-8, comma-separated, header line): `blocks` building blocks before
/// those with fewer than five buildings are dropped.
pub fn heat_demand_csv(blocks: usize) -> String {
    let mut rng = SplitMix(0x0916_2000_2024);
    let mut out = String::from(
        "baublock_id,stadtteil,gebaeude,wohneinheiten,beheizte_flaeche_m2,baualtersklasse,\
         ueberwiegende_heizung,waermebedarf_mwh_a,spez_waermebedarf_kwh_m2a\n",
    );
    for n in 1..=blocks {
        let district_index = (n - 1) * DISTRICTS.len() / blocks.max(1);
        let district = DISTRICTS[district_index.min(DISTRICTS.len() - 1)];
        let buildings = rng.range(2, 38);
        if buildings < 5 {
            continue;
        }
        // Older periods dominate the old town, newer ones the new quarters.
        let period_index = match district {
            "Altstadt" => rng.range(0, 2),
            "Neubaugebiet West" => rng.range(4, 5),
            "Gewerbegebiet Ost" => rng.range(2, 4),
            _ => rng.range(1, 4),
        } as usize;
        let (period, specific) = PERIODS[period_index];
        let dwellings_per_building = if district == "Gewerbegebiet Ost" {
            rng.range(0, 1)
        } else {
            rng.range(1, 9)
        };
        let dwellings = buildings * dwellings_per_building;
        let area = buildings * rng.range(140, 820);
        // ±12 % around the period's typical value.
        let factor = 0.88 + (rng.range(0, 240) as f64) / 1000.0;
        let specific = (specific * factor * 10.0).round() / 10.0;
        let demand = (area as f64 * specific / 1000.0 * 10.0).round() / 10.0;
        let heating = if district == "Altstadt" && rng.range(0, 2) == 0 {
            "Fernwärme"
        } else {
            HEATING[rng.range(0, HEATING.len() as u64 - 1) as usize]
        };
        let _ = writeln!(
            out,
            "09162000-BB{n:04},{district},{buildings},{dwellings},{area},{period},{heating},{demand:.1},{specific:.1}"
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_deterministic_and_leaves_out_small_blocks() {
        let a = heat_demand_csv(240);
        assert_eq!(a, heat_demand_csv(240));
        let mut reader = csv_lines(&a);
        let header = reader.next().expect("header");
        assert_eq!(header.len(), 9);
        let rows: Vec<Vec<&str>> = reader.collect();
        assert!(rows.len() > 150 && rows.len() < 240, "{} rows", rows.len());
        for row in &rows {
            assert_eq!(row.len(), 9, "{row:?}");
            let buildings: u64 = row[2].parse().expect("buildings");
            assert!(buildings >= 5, "{row:?}");
            let area: f64 = row[4].parse().expect("area");
            let demand: f64 = row[7].parse().expect("demand");
            let specific: f64 = row[8].parse().expect("specific");
            assert!((area * specific / 1000.0 - demand).abs() < 0.1, "{row:?}");
        }
    }

    fn csv_lines(text: &str) -> impl Iterator<Item = Vec<&str>> {
        text.lines().map(|l| l.split(',').collect())
    }

    #[test]
    fn the_template_meets_the_charta_and_allows_a_file_transfer() {
        let template = contracts::template::Template::parse(TEMPLATE).expect("template parses");
        let charta = contracts::charta::Charta::default_1_0();
        let findings = template.check(&charta);
        assert!(findings.is_empty(), "{findings:?}");
        assert!(TEMPLATE.contains("access = \"transfer\""));
        assert!(TEMPLATE.contains("personal_adjacent = false"));
    }
}
