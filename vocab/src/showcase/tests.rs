//! The showcase and the generator.

use std::collections::BTreeSet;

use super::*;

#[test]
fn showcase_values() {
    let m = musterstadt("https://musterstadt.example/").unwrap();
    assert_eq!(m.participant.did, "did:web:musterstadt.example");
    assert_eq!(m.participant.ags.unwrap().as_str(), "09162000");
    assert_eq!(
        m.participant.participant_type,
        ParticipantType::Municipality
    );
    m.check().unwrap();
    let s = stadtwerke("https://stadtwerke.example:8443/konnektor").unwrap();
    assert_eq!(
        s.participant.did,
        "did:web:stadtwerke.example%3A8443:konnektor"
    );
    assert_eq!(
        s.participant.connector_endpoint,
        "https://stadtwerke.example:8443/konnektor/dsp"
    );
    let d = &s.datasets[0];
    assert!(d.personal_adjacent);
    assert_eq!(d.themes, vec![DataTheme::Energy, DataTheme::Regions]);
    assert!(d.keywords.iter().any(|k| k == "Wärmeplanung"));
    assert_eq!(d.license.id(), "other-closed");
    assert_eq!(d.offered_policies.len(), 1);
    s.check().unwrap();
    assert!(stadtwerke("not a url").is_err());
    // serde (the connector stores assets this way) keeps every value
    let json = serde_json::to_string(&s).unwrap();
    assert_eq!(serde_json::from_str::<SelfDescription>(&json).unwrap(), s);
    let bad = json.replace("\"other-closed\"", "\"wtfpl\"");
    assert!(
        serde_json::from_str::<SelfDescription>(&bad)
            .unwrap_err()
            .to_string()
            .contains("licence list")
    );
}

#[test]
fn generator_is_deterministic_and_varied() {
    let a = generate_datasets(400, 11);
    assert_eq!(a, generate_datasets(400, 11));
    assert_ne!(a, generate_datasets(400, 12));
    assert_eq!(a[..37], generate_datasets(37, 11)[..]);
    for d in &a {
        d.check().unwrap_or_else(|e| panic!("{}: {e}", d.id));
    }
    let ids: BTreeSet<_> = a.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids.len(), a.len(), "dataset IRIs are unique");
    let titles: BTreeSet<_> = a.iter().map(|d| d.title.de.as_str()).collect();
    assert!(titles.len() > 150, "only {} distinct titles", titles.len());
    let themes: BTreeSet<_> = a.iter().flat_map(|d| d.themes.iter()).collect();
    assert!(themes.len() >= 12);
    let licences: BTreeSet<_> = a.iter().map(|d| d.license).collect();
    assert!(licences.len() >= 8);
    let states: BTreeSet<_> = a
        .iter()
        .flat_map(|d| d.spatial.iter().map(|s| s.state().to_owned()))
        .collect();
    assert!(states.len() >= 10);
    let formats: BTreeSet<_> = a
        .iter()
        .flat_map(|d| d.distributions.iter().filter_map(|x| x.format.clone()))
        .collect();
    assert!(formats.len() >= 6);
    assert!(a.iter().any(|d| d.title.en.is_some()) && a.iter().any(|d| d.title.en.is_none()));
    assert!(a.iter().any(|d| d.temporal.is_some()) && a.iter().any(|d| d.temporal.is_none()));
    assert!(a.iter().any(|d| d.personal_adjacent) && a.iter().any(|d| !d.personal_adjacent));
}

#[test]
fn generated_self_descriptions_group_by_publisher() {
    let sds = generate_self_descriptions(130, 5);
    assert_eq!(sds.iter().map(|s| s.datasets.len()).sum::<usize>(), 130);
    for sd in &sds {
        sd.check()
            .unwrap_or_else(|e| panic!("{}: {e}", sd.catalog_id));
    }
    let participants = generate_participants(sds.len(), 5);
    assert_eq!(
        participants,
        sds.iter()
            .map(|s| s.participant.clone())
            .collect::<Vec<_>>()
    );
}
