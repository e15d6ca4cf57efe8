//! Catalogue → registry directory → another catalogue, through `file://`,
//! and the rules the facade adds: nothing stored on failure, the rollback
//! floor kept in the catalogue, executables reported.

use std::fs;

use jiff::{SignedDuration, Timestamp};
use stencil::packages::{
    FetchOptions, PackageError, Provenance, PublishSelection, SavedState, SearchQuery,
    add_registry, install_from_registry, install_refs, list_registries, open_registry,
    open_registry_with, outdated, publish, remove_registry, save_state, search, sync_registry,
    upgrade,
};
use stencil::registry::{ErrorKind, Freshness, SecretKey, TrustAnchor};
use stencil::store::{ArtifactKey, Catalog, NewArtifact, NewFile, TemplateSpec, VariableDecl};

fn key() -> SecretKey {
    SecretKey::from_seed([11; 32])
}

fn t0() -> Timestamp {
    "2026-06-01T12:00:00Z".parse().unwrap()
}

fn anchor() -> TrustAnchor {
    TrustAnchor::Keys {
        keys: vec![key().public()],
        threshold: 1,
    }
}

/// A catalogue with a template of two artifacts, one with a script.
fn source_catalog() -> Catalog {
    let catalog = Catalog::open_in_memory().unwrap();
    let guide = ArtifactKey::parse("context_file:CLAUDE.md").unwrap();
    let tool = ArtifactKey::parse("skill:tool").unwrap();
    catalog
        .put_artifact(
            &NewArtifact::new(guide.clone())
                .description("the guide")
                .tag("docs")
                .file("CLAUDE.md", "# {{PROJECT_NAME}}\n"),
        )
        .unwrap();
    let mut script = NewFile::new(".claude/skills/tool/run.sh", "#!/bin/sh\necho {{X}}\n");
    script.executable = true;
    script.verbatim = true;
    catalog
        .put_artifact(
            &NewArtifact::new(tool.clone())
                .file(".claude/skills/tool/SKILL.md", "# Tool\n")
                .with_file(script),
        )
        .unwrap();
    catalog
        .create_template(
            &TemplateSpec::new("starter")
                .description("every project")
                .entity(guide, true)
                .entity(tool, false)
                .variable(VariableDecl::optional("TEAM", "platform")),
        )
        .unwrap();
    catalog
}

fn selection() -> PublishSelection {
    PublishSelection {
        templates: vec![String::from("starter")],
        artifacts: vec![ArtifactKey::parse("skill:tool").unwrap()],
        ..PublishSelection::default()
    }
}

/// A `file://` URL for `dir`: `file:///tmp/x`, or `file:///C:/x` on Windows.
fn url(dir: &std::path::Path) -> String {
    let path = dir.display().to_string().replace('\\', "/");
    if path.starts_with('/') {
        format!("file://{path}")
    } else {
        format!("file:///{path}")
    }
}

#[test]
fn a_template_round_trips_through_a_registry() {
    let from = source_catalog();
    let dir = tempfile::tempdir().unwrap();
    let report = publish(&from, dir.path(), vec![key()], &selection(), t0()).unwrap();
    let ids: Vec<String> = report.published.iter().map(|e| e.id()).collect();
    assert_eq!(ids, ["template:starter@1", "skill:tool@1"]);
    assert!(
        publish(&from, dir.path(), vec![key()], &selection(), t0())
            .unwrap()
            .snapshot_version
            .is_none(),
        "republishing unchanged content wrote something"
    );

    let to = Catalog::open_in_memory().unwrap();
    add_registry(&to, "team", &url(dir.path()), &anchor(), t0()).unwrap();
    let installed =
        install_from_registry(&to, "team", "template", "starter", None, false, t0()).unwrap();
    assert_eq!(installed.package, "template:starter@1");
    assert_eq!(installed.template.as_deref(), Some("starter"));
    assert_eq!(installed.artifacts.created.len(), 2);
    assert_eq!(
        installed.executables,
        ["skill:tool: .claude/skills/tool/run.sh"]
    );

    let original = from.load_template("starter").unwrap();
    let copy = to.load_template("starter").unwrap();
    assert_eq!(copy.description, original.description);
    assert_eq!(copy.variables, original.variables);
    assert_eq!(copy.entities.len(), original.entities.len());
    for (a, b) in copy.entities.iter().zip(&original.entities) {
        assert_eq!(a.artifact, b.artifact);
        assert_eq!(a.required, b.required);
        assert_eq!(a.description, b.description);
        assert_eq!(a.files, b.files);
    }
    let guide = to
        .artifact(&ArtifactKey::parse("context_file:CLAUDE.md").unwrap())
        .unwrap();
    assert_eq!(guide.tags, ["docs"]);
    let provenance = Provenance::parse(guide.source.as_deref().unwrap()).unwrap();
    assert_eq!(provenance.registry, "team");
    assert_eq!(provenance.package(), "template:starter@1");
    assert_eq!(provenance.sha256.unwrap().len(), 64);

    // The artifact package on its own, installed twice: the second time
    // changes nothing.
    install_from_registry(&to, "team", "skill", "tool", None, false, t0()).unwrap();
    let again = install_from_registry(&to, "team", "skill", "tool", None, false, t0()).unwrap();
    assert_eq!(again.artifacts.unchanged.len(), 1);
    assert_eq!(
        again.executables,
        ["skill:tool: .claude/skills/tool/run.sh"]
    );
}

#[test]
fn a_tampered_package_stores_nothing() {
    let from = source_catalog();
    let dir = tempfile::tempdir().unwrap();
    let report = publish(&from, dir.path(), vec![key()], &selection(), t0()).unwrap();
    let blob = dir.path().join(report.published[0].blob_path());
    let mut bytes = fs::read(&blob).unwrap();
    bytes[10] ^= 1;
    fs::write(&blob, bytes).unwrap();

    let to = Catalog::open_in_memory().unwrap();
    add_registry(&to, "team", &url(dir.path()), &anchor(), t0()).unwrap();
    let err =
        install_from_registry(&to, "team", "template", "starter", None, false, t0()).unwrap_err();
    assert!(
        matches!(&err, PackageError::Registry(e) if matches!(e.kind(), ErrorKind::DigestMismatch { .. })),
        "{err}"
    );
    assert!(to.list_templates().unwrap().is_empty());
    for key in ["context_file:CLAUDE.md", "skill:tool"] {
        assert!(
            to.artifact(&ArtifactKey::parse(key).unwrap()).is_err(),
            "{key} stored"
        );
    }
}

#[test]
fn the_rollback_floor_lives_in_the_catalogue() {
    let from = source_catalog();
    let dir = tempfile::tempdir().unwrap();
    publish(&from, dir.path(), vec![key()], &selection(), t0()).unwrap();
    let old_snapshot = fs::read(dir.path().join("snapshot.json")).unwrap();
    let file = tempfile::tempdir().unwrap();
    let path = file.path().join("catalog.db");
    {
        let to = Catalog::open(&path).unwrap();
        add_registry(&to, "team", &url(dir.path()), &anchor(), t0()).unwrap();
    }
    from.put_artifact(
        &NewArtifact::new(ArtifactKey::parse("skill:tool").unwrap()).file("SKILL.md", "v2\n"),
    )
    .unwrap();
    publish(&from, dir.path(), vec![key()], &selection(), t0()).unwrap();
    {
        // A later process sees the new snapshot; the floor moves up.
        let to = Catalog::open(&path).unwrap();
        let open = open_registry(&to, "team", false, t0()).unwrap();
        assert_eq!(open.registry.snapshot().version, 3);
    }
    fs::write(dir.path().join("snapshot.json"), old_snapshot).unwrap();
    let to = Catalog::open(&path).unwrap();
    let err = open_registry(&to, "team", false, t0()).unwrap_err();
    assert!(
        matches!(&err, PackageError::Registry(e) if matches!(e.kind(), ErrorKind::Rollback { seen: 3, found: 2 })),
        "{err}"
    );
    assert_eq!(list_registries(&to).unwrap()[0].state.snapshot_version, 3);
}

#[test]
fn expired_metadata_needs_offline() {
    let from = source_catalog();
    let dir = tempfile::tempdir().unwrap();
    let mut short = selection();
    short.expires = Some(SignedDuration::from_hours(1));
    publish(&from, dir.path(), vec![key()], &short, t0()).unwrap();
    let to = Catalog::open_in_memory().unwrap();
    add_registry(&to, "team", &url(dir.path()), &anchor(), t0()).unwrap();
    let later = t0() + SignedDuration::from_hours(2);
    let err = open_registry(&to, "team", false, later).unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");
    let open = open_registry(&to, "team", true, later).unwrap();
    let staleness = open.staleness.unwrap();
    assert!(staleness.expired);
    assert_eq!(staleness.fetched, Some(t0()));
}

#[test]
fn registries_are_added_listed_and_removed() {
    let from = source_catalog();
    let dir = tempfile::tempdir().unwrap();
    publish(&from, dir.path(), vec![key()], &selection(), t0()).unwrap();
    let to = Catalog::open_in_memory().unwrap();
    let wrong = TrustAnchor::Keys {
        keys: vec![SecretKey::from_seed([12; 32]).public()],
        threshold: 1,
    };
    assert!(add_registry(&to, "team", &url(dir.path()), &wrong, t0()).is_err());
    assert!(
        list_registries(&to).unwrap().is_empty(),
        "a failed add stored a record"
    );
    add_registry(&to, "team", &url(dir.path()), &anchor(), t0()).unwrap();
    assert!(matches!(
        add_registry(&to, "team", &url(dir.path()), &anchor(), t0()),
        Err(PackageError::RegistryExists(_))
    ));
    assert_eq!(list_registries(&to).unwrap().len(), 1);
    remove_registry(&to, "team").unwrap();
    assert!(matches!(
        remove_registry(&to, "team"),
        Err(PackageError::UnknownRegistry(_))
    ));
}

/// The registry's loopback test server (test code, shared by path).
#[path = "../../../registry/tests/common/server.rs"]
mod server;

#[test]
fn a_registry_directory_served_by_a_static_web_server_installs_over_http() {
    let from = source_catalog();
    let dir = tempfile::tempdir().unwrap();
    publish(&from, dir.path(), vec![key()], &selection(), t0()).unwrap();
    let server = server::Server::serve(dir.path());

    let to = Catalog::open_in_memory().unwrap();
    add_registry(&to, "team", &server.url, &anchor(), t0()).unwrap();
    let installed =
        install_from_registry(&to, "team", "template", "starter", None, false, t0()).unwrap();
    assert_eq!(installed.package, "template:starter@1");
    assert_eq!(installed.artifacts.created.len(), 2);
    assert_eq!(to.load_template("starter").unwrap().entities.len(), 2);

    // The catalogue remembers the snapshot's ETag: a later open within the
    // interval sends nothing, past it one request answered 304.
    let before = server.requests();
    // install revalidated too (open_registry forces it): one 304 already.
    let answered_304 = server.not_modified();
    assert_eq!(answered_304, 1);
    let soon = t0() + SignedDuration::from_mins(1);
    open_registry_with(&to, "team", false, &Freshness::DEFAULT, soon).unwrap();
    assert_eq!(server.requests(), before);
    let later = t0() + SignedDuration::from_hours(1);
    open_registry_with(&to, "team", false, &Freshness::DEFAULT, later).unwrap();
    assert_eq!(server.requests(), before + 1);
    assert_eq!(server.not_modified(), answered_304 + 1);
}

/// Publishes `command:NAME` with `body` into `dir`.
fn publish_command(dir: &std::path::Path, name: &str, body: &str, now: Timestamp) {
    let catalog = Catalog::open_in_memory().unwrap();
    let key = ArtifactKey::new("command", name).unwrap();
    catalog
        .put_artifact(&NewArtifact::new(key.clone()).file(format!("{name}.md"), body))
        .unwrap();
    let selection = PublishSelection {
        artifacts: vec![key],
        ..PublishSelection::default()
    };
    publish(&catalog, dir, vec![key_()], &selection, now).unwrap();
}

fn key_() -> SecretKey {
    key()
}

#[test]
fn many_refs_install_in_one_transaction_and_a_bad_second_package_stores_nothing() {
    let from = source_catalog();
    let dir = tempfile::tempdir().unwrap();
    publish(&from, dir.path(), vec![key()], &selection(), t0()).unwrap();
    publish_command(dir.path(), "lint", "lint\n", t0());
    let to = Catalog::open_in_memory().unwrap();
    add_registry(&to, "team", &url(dir.path()), &anchor(), t0()).unwrap();

    // Damage the second package's blob: the first must not be stored.
    let snapshot = open_registry(&to, "team", false, t0()).unwrap();
    let lint = snapshot
        .registry
        .snapshot()
        .latest("command", "lint")
        .unwrap()
        .clone();
    let blob = dir.path().join(lint.blob_path());
    let good = fs::read(&blob).unwrap();
    let mut bad = good.clone();
    bad[0] ^= 1;
    fs::write(&blob, &bad).unwrap();
    let refs = [String::from("team/template:starter"), String::from("lint")];
    let err = install_refs(&to, &refs, &FetchOptions::default(), t0()).unwrap_err();
    assert!(err.to_string().contains("command:lint"), "{err}");
    assert!(to.list_templates().unwrap().is_empty());
    assert!(to.artifact_sources("").unwrap().is_empty());

    fs::write(&blob, &good).unwrap();
    let summary = install_refs(&to, &refs, &FetchOptions::default(), t0()).unwrap();
    let ids: Vec<&str> = summary
        .packages
        .iter()
        .map(|p| p.package.as_str())
        .collect();
    assert_eq!(ids, ["template:starter@1", "command:lint@1"]);
    assert_eq!(summary.packages[0].artifacts.created.len(), 2);
    // Provenance: registry, package, version and digest, per artifact.
    let sources = to.artifact_sources("registry:").unwrap();
    assert_eq!(sources.len(), 3);
    let lint_source = sources
        .iter()
        .find(|s| s.key.name() == "lint")
        .map(|s| Provenance::parse(&s.source).unwrap())
        .unwrap();
    assert_eq!(lint_source.registry, "team");
    assert_eq!(lint_source.package(), "command:lint@1");
    assert_eq!(lint_source.sha256.as_deref(), Some(lint.sha256.as_str()));

    // A name in two kinds is ambiguous without its type.
    assert!(matches!(
        install_refs(&to, &[String::from("nope")], &FetchOptions::default(), t0()),
        Err(PackageError::Registry(_))
    ));
}

#[test]
fn outdated_costs_fixed_statements_and_upgrade_never_picks_a_yanked_version() {
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..20).map(|i| format!("c{i}")).collect();
    for name in &names {
        publish_command(dir.path(), name, "v1\n", t0());
    }
    let to = Catalog::open_in_memory().unwrap();
    add_registry(&to, "team", &url(dir.path()), &anchor(), t0()).unwrap();
    let options = FetchOptions::default();
    let mut statements = Vec::new();
    for count in [1usize, 20] {
        install_refs(&to, &names[..count], &options, t0()).unwrap();
        let before = to.stats().statements;
        let report = outdated(&to, &options, t0()).unwrap();
        statements.push(to.stats().statements - before);
        assert_eq!(report.packages.len(), count);
        assert_eq!(report.outdated().count(), 0);
    }
    assert_eq!(statements[0], statements[1], "{statements:?}");
    assert!(statements[0] <= 2, "{statements:?}");

    // c0 gets v2 and v3; v3 is yanked: upgrade picks v2.
    let later = t0() + SignedDuration::from_mins(1);
    publish_command(dir.path(), "c0", "v2\n", later);
    publish_command(dir.path(), "c0", "v3\n", later);
    let mut publisher =
        stencil::registry::Publisher::open_or_create(dir.path(), vec![key()], later).unwrap();
    publisher.yank("command", "c0", 3, later).unwrap();
    let force = FetchOptions {
        freshness: Freshness::FORCE,
        ..FetchOptions::default()
    };
    let report = outdated(&to, &force, later).unwrap();
    let stale: Vec<_> = report.outdated().collect();
    assert_eq!(stale.len(), 1);
    assert_eq!((stale[0].installed, stale[0].latest), (1, Some(2)));

    let dry = upgrade(&to, &[], true, &force, later).unwrap();
    assert_eq!(dry.upgrades.len(), 1);
    assert!(dry.applied.is_none());
    assert_eq!(outdated(&to, &force, later).unwrap().outdated().count(), 1);
    let done = upgrade(&to, &[String::from("c0")], false, &force, later).unwrap();
    assert_eq!((done.upgrades[0].from, done.upgrades[0].to), (1, 2));
    let c0 = to
        .artifact(&ArtifactKey::new("command", "c0").unwrap())
        .unwrap();
    assert_eq!(c0.files[0].content, b"v2\n");
    assert_eq!(outdated(&to, &force, later).unwrap().outdated().count(), 0);
    assert!(upgrade(&to, &[String::from("unknown")], false, &force, later).is_err());
}

#[test]
fn a_stale_writer_never_moves_the_rollback_floor_back() {
    let dir = tempfile::tempdir().unwrap();
    publish_command(dir.path(), "a", "1\n", t0());
    let db = tempfile::tempdir().unwrap();
    let path = db.path().join("c.db");
    let catalog = Catalog::open(&path).unwrap();
    add_registry(&catalog, "team", &url(dir.path()), &anchor(), t0()).unwrap();
    let old = list_registries(&catalog).unwrap()[0].state.clone();
    publish_command(dir.path(), "b", "2\n", t0());
    let new = open_registry(&catalog, "team", false, t0())
        .unwrap()
        .registry
        .state();
    assert!(new.snapshot_version > old.snapshot_version);

    // Sequential: the stale state is refused.
    assert_eq!(
        save_state(&catalog, "team", &old).unwrap(),
        SavedState::KeptNewer
    );
    // Concurrent: two processes (connections) write old and new states
    // over and over; the newest always wins.
    let writers: Vec<_> = [old.clone(), new.clone()]
        .into_iter()
        .map(|state| {
            let path = path.clone();
            std::thread::spawn(move || {
                let catalog = Catalog::open(&path).unwrap();
                for _ in 0..50 {
                    save_state(&catalog, "team", &state).unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let stored = list_registries(&catalog).unwrap()[0].state.clone();
    assert_eq!(stored.snapshot_version, new.snapshot_version);
}

#[test]
fn a_network_failure_answers_from_the_stored_snapshot_and_says_so() {
    let from = source_catalog();
    let dir = tempfile::tempdir().unwrap();
    publish(&from, dir.path(), vec![key()], &selection(), t0()).unwrap();
    let server = server::Server::serve(dir.path());
    let to = Catalog::open_in_memory().unwrap();
    add_registry(&to, "team", &server.url, &anchor(), t0()).unwrap();
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = stencil::registry::BlobCache::open(cache_dir.path()).unwrap();
    let report = sync_registry(&to, "team", &cache, 8, t0()).unwrap();
    assert_eq!((report.packages, report.downloaded), (2, 2));
    let again = sync_registry(&to, "team", &cache, 8, t0()).unwrap();
    assert_eq!((again.already_cached, again.downloaded), (2, 0));

    // The server now fails every snapshot request; blobs come from cache.
    server.fault(
        "snapshot.json",
        std::iter::repeat_n(server::Fault::Status(503), 50),
    );
    let options = FetchOptions {
        freshness: Freshness::FORCE,
        cache: Some(&cache),
        ..FetchOptions::default()
    };
    let summary = install_refs(&to, &[String::from("starter")], &options, t0()).unwrap();
    assert_eq!(summary.packages[0].package, "template:starter@1");
    assert_eq!(summary.notes.len(), 1, "{:?}", summary.notes);
    assert!(
        summary.notes[0].contains("network failed"),
        "{:?}",
        summary.notes
    );
    let found = search(&to, &SearchQuery::default(), &options, t0()).unwrap();
    assert_eq!(found.hits.len(), 2);
    assert!(found.notes[0].contains("cached snapshot"));
}
