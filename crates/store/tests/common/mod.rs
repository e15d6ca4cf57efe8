//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test binary uses a different subset

use stencil_store::{ArtifactKey, Catalog, NewArtifact, Stats};

pub const TYPES: [&str; 4] = ["skill", "command", "agent", "rule_file"];

pub fn key(kind: &str, name: &str) -> ArtifactKey {
    ArtifactKey::new(kind, name).expect("test keys are valid")
}

/// An artifact with one file whose content depends on the name.
pub fn artifact(kind: &str, name: &str) -> NewArtifact {
    NewArtifact::new(key(kind, name))
        .description(format!("the {name} {kind}"))
        .file(
            format!(".claude/{kind}s/{name}.md"),
            format!("# {name}\n{{{{PROJECT}}}}\n"),
        )
}

/// Statements (data, not transaction control) run by `f`.
pub fn cost<T>(catalog: &Catalog, f: impl FnOnce() -> T) -> (T, u64) {
    let before: Stats = catalog.stats();
    let out = f();
    (out, catalog.stats().statements - before.statements)
}

/// `n` artifacts of mixed types and tags, each in two of `collections`
/// collections named `c000`, `c001`, ….
pub fn seed(catalog: &Catalog, n: usize, collections: usize) -> Vec<ArtifactKey> {
    let items: Vec<NewArtifact> = (0..n)
        .map(|i| {
            let kind = TYPES[i % TYPES.len()];
            let mut a = artifact(kind, &format!("a{i:05}"));
            a.tags.push(format!("t{}", i % 5));
            if i % 3 == 0 {
                a.tags.push("common".into());
            }
            a
        })
        .collect();
    let keys: Vec<ArtifactKey> = items.iter().map(|a| a.key.clone()).collect();
    catalog.import(items).expect("seed import");
    for c in 0..collections {
        catalog
            .create_collection(&format!("c{c:03}"), "seeded")
            .expect("seed collection");
    }
    if collections > 0 {
        for (i, k) in keys.iter().enumerate() {
            for c in [i % collections, (i + 1) % collections] {
                catalog
                    .add_to_collection(&format!("c{c:03}"), std::slice::from_ref(k))
                    .expect("seed membership");
            }
        }
    }
    keys
}
