//! Catalogue → registry directory → another catalogue, through `file://`,
//! and the rules the facade adds: nothing stored on failure, the rollback
//! floor kept in the catalogue, executables reported.

use std::fs;

use jiff::{SignedDuration, Timestamp};
use stencil::packages::{
    PackageError, PublishSelection, add_registry, install_from_registry, list_registries,
    open_registry, open_registry_with, publish, remove_registry,
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
    assert_eq!(
        guide.source.as_deref(),
        Some("registry:team/template:starter@1")
    );

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
