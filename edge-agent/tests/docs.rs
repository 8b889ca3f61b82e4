//! `docs/sync-protocol.md` cannot drift from the DTOs: every JSON example on that page,
//! labelled with its type in an HTML comment, must parse into that type.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

use gasq_shared::sync::{
    ChangesResponse, DeviceClaims, EnrollRequest, EnrollResponse, EventBatch, EventsResponse,
};

const PAGE: &str = include_str!("../../docs/sync-protocol.md");

/// `(type name, json)` for each `<!-- Type -->` followed by a ```json block.
fn examples() -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = PAGE;
    while let Some(start) = rest.find("<!-- ") {
        let after = &rest[start + 5..];
        let name_end = after.find(" -->").unwrap();
        let name = after[..name_end].trim().to_owned();
        let block = &after[name_end..];
        let open = block.find("```json\n").unwrap() + "```json\n".len();
        let close = open + block[open..].find("```").unwrap();
        found.push((name, block[open..close].to_owned()));
        rest = &block[close..];
    }
    found
}

#[test]
fn every_example_parses_into_its_dto() {
    let examples = examples();
    assert!(examples.len() >= 6, "{examples:?}");
    for (name, json) in examples {
        let parsed = match name.as_str() {
            "EnrollRequest" => serde_json::from_str::<EnrollRequest>(&json).map(|_| ()),
            "EnrollResponse" => serde_json::from_str::<EnrollResponse>(&json).map(|r| {
                r.keys.key_set().unwrap();
            }),
            "DeviceClaims" => serde_json::from_str::<DeviceClaims>(&json).map(|_| ()),
            "ChangesResponse" => serde_json::from_str::<ChangesResponse>(&json).map(|r| {
                assert_eq!(r.changes.len(), 4);
            }),
            "EventBatch" => serde_json::from_str::<EventBatch>(&json).map(|b| {
                assert!(b.events.windows(2).all(|w| w[0].seq < w[1].seq));
            }),
            "EventsResponse" => serde_json::from_str::<EventsResponse>(&json).map(|_| ()),
            other => panic!("unknown example type {other}"),
        };
        assert!(parsed.is_ok(), "{name}: {parsed:?}\n{json}");
    }
}
