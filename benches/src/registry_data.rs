//! A registry directory of many command packages and a catalogue with all
//! of them installed from it, for the `outdated` bench and report rows.

use jiff::Timestamp;
use stencil::packages::{FetchOptions, PublishSelection, add_registry, install_refs, publish};
use stencil::registry::{SecretKey, TrustAnchor};
use stencil::store::{ArtifactKey, Catalog, NewArtifact};

/// The registry directory, the catalogue (a file in the same directory)
/// and the instant used (so the snapshot is within its revalidation
/// interval: `outdated` reads no network, as on a second run).
pub struct Installed {
    /// Holds the registry and the catalogue file.
    pub dir: tempfile::TempDir,
    /// The catalogue with `n` packages installed.
    pub catalog: Catalog,
    /// When they were installed.
    pub now: Timestamp,
}

/// Publishes `n` command packages of ~200 bytes into a fresh registry and
/// installs all of them into a fresh catalogue through `file://`.
pub fn installed(n: usize) -> Installed {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = SecretKey::from_seed([7; 32]);
    let now = Timestamp::now();
    let source = Catalog::open_in_memory().expect("catalogue");
    let keys: Vec<ArtifactKey> = (0..n)
        .map(|i| ArtifactKey::new("command", format!("cmd{i:05}")).expect("key"))
        .collect();
    source
        .import(keys.iter().map(|k| {
            NewArtifact::new(k.clone()).file(
                format!(".claude/commands/{}.md", k.name()),
                format!("Run {} for {{{{PROJECT_NAME}}}}.\n", k.name()).repeat(5),
            )
        }))
        .expect("import");
    let registry = dir.path().join("registry");
    let selection = PublishSelection {
        artifacts: keys.clone(),
        ..PublishSelection::default()
    };
    publish(
        &source,
        &registry,
        vec![SecretKey::from_seed([7; 32])],
        &selection,
        now,
    )
    .expect("publish");
    let catalog = Catalog::open(dir.path().join("catalog.db")).expect("catalogue file");
    let anchor = TrustAnchor::Keys {
        keys: vec![key.public()],
        threshold: 1,
    };
    let url = format!("file://{}", registry.display());
    add_registry(&catalog, "bench", &url, &anchor, now).expect("add registry");
    let refs: Vec<String> = keys.iter().map(|k| format!("bench/{k}")).collect();
    install_refs(&catalog, &refs, &FetchOptions::default(), now).expect("install");
    Installed { dir, catalog, now }
}
