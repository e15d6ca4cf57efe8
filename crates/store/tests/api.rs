//! The catalogue's public behaviour: writes, reports, filters, templates,
//! versions and errors.

mod common;

use common::{PgModes, artifact, catalogs, key};
use stencil_store::{
    ArtifactQuery, ArtifactSort, Catalog, Error, NewArtifact, NewFile, ObjectKind, PutOutcome,
    TemplateSpec, VariableDecl,
};

#[test]
fn put_reports_created_unchanged_updated_and_versions_follow_content() {
    for t in catalogs(
        "put_reports_created_unchanged_updated_and_versions_follow_content",
        PgModes::Triggers,
        Catalog::builder,
    ) {
        eprintln!("backend: {}", t.name);
        put_reports_created_unchanged_updated_and_versions_follow_content_on(&t.catalog);
    }
}

fn put_reports_created_unchanged_updated_and_versions_follow_content_on(c: &Catalog) {
    let a = artifact("skill", "review");
    assert_eq!(c.put_artifact(&a).unwrap(), PutOutcome::Created);
    assert_eq!(c.put_artifact(&a).unwrap(), PutOutcome::Unchanged);
    let first = c.artifact(&a.key).unwrap();

    // A description change is an update but not a new content version.
    let described = a.clone().description("better words");
    assert_eq!(c.put_artifact(&described).unwrap(), PutOutcome::Updated);
    assert_eq!(c.artifact(&a.key).unwrap().version, 1);

    let changed = described.clone().file("extra.md", "more");
    assert_eq!(c.put_artifact(&changed).unwrap(), PutOutcome::Updated);
    let second = c.artifact(&a.key).unwrap();
    assert_eq!((second.version, second.files.len()), (2, 2));
    assert_ne!(second.digest, first.digest);

    // Going back to earlier content is the next version, with the earlier
    // digest: versions are a history (issue 17).
    assert_eq!(c.put_artifact(&described).unwrap(), PutOutcome::Updated);
    let reverted = c.artifact(&a.key).unwrap();
    assert_eq!(
        (reverted.version, reverted.digest.as_str()),
        (3, first.digest.as_str())
    );
    let versions: Vec<u32> = c
        .versions(&a.key)
        .unwrap()
        .iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(versions, vec![1, 2, 3]);

    // Tags alone are a change too.
    assert_eq!(
        c.put_artifact(&described.clone().tag("x")).unwrap(),
        PutOutcome::Updated
    );
    assert_eq!(c.artifact(&a.key).unwrap().tags, vec!["x"]);
}

#[test]
fn identical_content_in_two_artifacts_is_allowed_and_stored_once() {
    for t in catalogs(
        "identical_content_in_two_artifacts_is_allowed_and_stored_once",
        PgModes::Triggers,
        Catalog::builder,
    ) {
        eprintln!("backend: {}", t.name);
        identical_content_in_two_artifacts_is_allowed_and_stored_once_on(&t.catalog);
    }
}

fn identical_content_in_two_artifacts_is_allowed_and_stored_once_on(c: &Catalog) {
    let one = NewArtifact::new(key("skill", "one")).file("a.md", "same bytes");
    let two = NewArtifact::new(key("command", "two")).file("a.md", "same bytes");
    c.put_artifact(&one).unwrap();
    c.put_artifact(&two).unwrap();
    let (x, y) = (c.artifact(&one.key).unwrap(), c.artifact(&two.key).unwrap());
    assert_eq!(x.digest, y.digest);
    assert_eq!((x.version, y.version), (1, 1));
    assert_eq!(x.files[0].hash, y.files[0].hash);
}

#[test]
fn file_flags_and_bytes_round_trip() {
    for t in catalogs(
        "file_flags_and_bytes_round_trip",
        PgModes::Triggers,
        Catalog::builder,
    ) {
        eprintln!("backend: {}", t.name);
        file_flags_and_bytes_round_trip_on(&t.catalog);
    }
}

fn file_flags_and_bytes_round_trip_on(c: &Catalog) {
    let bytes = vec![0u8, 159, 146, 150, b'\r', b'\n'];
    let a = NewArtifact::new(key("hook", "pre-commit"))
        .with_file(
            NewFile::new("hooks/pre-commit", bytes.clone())
                .executable(true)
                .verbatim(true),
        )
        .file("README.md", "plain");
    c.put_artifact(&a).unwrap();
    let got = c.artifact(&a.key).unwrap();
    let hook = got
        .files
        .iter()
        .find(|f| f.path == "hooks/pre-commit")
        .unwrap();
    assert_eq!(
        (hook.content.as_slice(), hook.executable, hook.verbatim),
        (bytes.as_slice(), true, true)
    );
    let readme = got.files.iter().find(|f| f.path == "README.md").unwrap();
    assert_eq!((readme.executable, readme.verbatim), (false, false));
    assert_eq!(readme.hash, blake3::hash(b"plain").to_hex().to_string());
}

#[test]
fn invalid_artifacts_are_refused_with_a_reason() {
    for t in catalogs(
        "invalid_artifacts_are_refused_with_a_reason",
        PgModes::Triggers,
        Catalog::builder,
    ) {
        eprintln!("backend: {}", t.name);
        invalid_artifacts_are_refused_with_a_reason_on(&t.catalog);
    }
}

fn invalid_artifacts_are_refused_with_a_reason_on(c: &Catalog) {
    let cases = [
        (NewArtifact::new(key("skill", "empty")), "no files"),
        (
            artifact("skill", "dup").file(".claude/skills/dup.md", "again"),
            "twice",
        ),
        (
            NewArtifact::new(key("skill", "abs")).file("/etc/passwd", "x"),
            "absolute",
        ),
        (
            NewArtifact::new(key("skill", "up")).file("a/../../b", "x"),
            "`..`",
        ),
        (artifact("skill", "tag").tag(" padded"), "whitespace"),
    ];
    for (a, reason) in cases {
        let err = c.put_artifact(&a).unwrap_err();
        assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
        assert!(err.to_string().contains(reason), "{err} lacks {reason}");
    }
    assert!(
        c.list_artifacts(&ArtifactQuery::new())
            .unwrap()
            .items
            .is_empty()
    );
}

#[test]
fn import_is_one_transaction_all_or_nothing() {
    for t in catalogs(
        "import_is_one_transaction_all_or_nothing",
        PgModes::Triggers,
        Catalog::builder,
    ) {
        eprintln!("backend: {}", t.name);
        import_is_one_transaction_all_or_nothing_on(&t.catalog);
    }
}

fn import_is_one_transaction_all_or_nothing_on(c: &Catalog) {
    c.put_artifact(&artifact("skill", "old")).unwrap();
    let report = c
        .import([
            artifact("skill", "old"),
            artifact("skill", "new"),
            artifact("skill", "old2"),
            artifact("skill", "old").description("changed"),
        ])
        .unwrap();
    assert_eq!(
        report.created,
        vec![key("skill", "new"), key("skill", "old2")]
    );
    assert_eq!(report.unchanged, vec![key("skill", "old")]);
    assert_eq!(report.updated, vec![key("skill", "old")]);

    let err = c
        .import([
            artifact("agent", "fine"),
            NewArtifact::new(key("agent", "broken")),
        ])
        .unwrap_err();
    assert!(err.to_string().contains("agent:broken"), "{err}");
    let missing = c.artifact(&key("agent", "fine")).unwrap_err();
    assert!(matches!(
        missing,
        Error::NotFound {
            kind: ObjectKind::Artifact,
            ..
        }
    ));
}

#[test]
fn listing_filters_combine_and_return_tags_and_collections() {
    for t in catalogs(
        "listing_filters_combine_and_return_tags_and_collections",
        PgModes::Triggers,
        Catalog::builder,
    ) {
        eprintln!("backend: {}", t.name);
        listing_filters_combine_and_return_tags_and_collections_on(&t.catalog);
    }
}

fn listing_filters_combine_and_return_tags_and_collections_on(c: &Catalog) {
    c.put_artifact(&artifact("skill", "alpha").tag("rust").tag("review"))
        .unwrap();
    c.put_artifact(
        &artifact("skill", "beta")
            .tag("rust")
            .description("100% pure"),
    )
    .unwrap();
    c.put_artifact(&artifact("agent", "gamma").tag("review"))
        .unwrap();
    c.create_collection("docs", "").unwrap();
    c.create_collection("all", "").unwrap();
    c.add_to_collection("docs", &[key("skill", "alpha")])
        .unwrap();
    c.add_to_collection(
        "all",
        &[
            key("skill", "alpha"),
            key("skill", "beta"),
            key("agent", "gamma"),
        ],
    )
    .unwrap();

    let names = |q: ArtifactQuery| -> Vec<String> {
        c.list_artifacts(&q)
            .unwrap()
            .items
            .into_iter()
            .map(|a| a.key.to_string())
            .collect()
    };
    assert_eq!(
        names(ArtifactQuery::new().kind("skill")),
        ["skill:alpha", "skill:beta"]
    );
    assert_eq!(
        names(ArtifactQuery::new().tag("rust").tag("review")),
        ["skill:alpha"]
    );
    assert_eq!(
        names(ArtifactQuery::new().tag("review")),
        ["skill:alpha", "agent:gamma"]
    );
    assert_eq!(
        names(ArtifactQuery::new().collection("docs")),
        ["skill:alpha"]
    );
    assert_eq!(names(ArtifactQuery::new().search("GAM")), ["agent:gamma"]);
    // `%` is searched literally, not as a wildcard.
    assert_eq!(names(ArtifactQuery::new().search("0% p")), ["skill:beta"]);
    assert!(names(ArtifactQuery::new().search("a%a")).is_empty());
    assert!(names(ArtifactQuery::new().collection("nope")).is_empty());

    let page = c
        .list_artifacts(&ArtifactQuery::new().search("alpha"))
        .unwrap();
    let alpha = &page.items[0];
    assert_eq!(alpha.tags, ["review", "rust"]);
    let colls: Vec<(&str, u64)> = alpha
        .collections
        .iter()
        .map(|c| (c.name.as_str(), c.artifact_count))
        .collect();
    assert_eq!(colls, [("all", 3), ("docs", 1)]);

    let f = c.facets(&ArtifactQuery::new().collection("all")).unwrap();
    assert_eq!(f.total, 3);
    assert_eq!(
        f.by_type,
        [("agent".to_owned(), 1), ("skill".to_owned(), 2)]
    );
    assert_eq!(f.by_tag, [("review".to_owned(), 2), ("rust".to_owned(), 2)]);
    let tags: Vec<(String, u64)> = c
        .tag_counts()
        .unwrap()
        .into_iter()
        .map(|t| (t.name, t.count))
        .collect();
    assert_eq!(tags, [("review".to_owned(), 2), ("rust".to_owned(), 2)]);

    assert!(
        c.list_artifacts(&ArtifactQuery::new().kind("Bad-Type"))
            .is_err()
    );
    let recent = names(
        ArtifactQuery::new()
            .sort(ArtifactSort::RecentlyUpdated)
            .limit(1),
    );
    assert_eq!(recent.len(), 1);
}

#[test]
fn memberships_report_changes_and_groups_imply_collection_membership() {
    for t in catalogs(
        "memberships_report_changes_and_groups_imply_collection_membership",
        PgModes::Triggers,
        Catalog::builder,
    ) {
        eprintln!("backend: {}", t.name);
        memberships_report_changes_and_groups_imply_collection_membership_on(&t.catalog);
    }
}

fn memberships_report_changes_and_groups_imply_collection_membership_on(c: &Catalog) {
    c.put_artifact(&artifact("skill", "a")).unwrap();
    c.put_artifact(&artifact("skill", "b")).unwrap();
    c.create_collection("docs", "").unwrap();
    let r = c
        .add_to_collection(
            "docs",
            &[key("skill", "a"), key("skill", "a"), key("skill", "zzz")],
        )
        .unwrap();
    assert_eq!(
        (r.changed, r.unchanged, r.unknown),
        (
            vec![key("skill", "a")],
            vec![key("skill", "a")],
            vec![key("skill", "zzz")]
        )
    );

    c.create_group("docs", "setup", 1).unwrap();
    assert!(matches!(
        c.create_group("docs", "setup", 2),
        Err(Error::AlreadyExists { .. })
    ));
    c.add_to_group("docs", "setup", &[key("skill", "b")])
        .unwrap();
    let d = c.collection("docs").unwrap();
    assert_eq!(
        (d.collection.artifact_count, d.collection.group_count),
        (2, 1)
    );
    assert_eq!(d.groups[0].artifact_count, 1);

    // Leaving the collection leaves its groups too.
    let r = c
        .remove_from_collection("docs", &[key("skill", "b"), key("skill", "b")])
        .unwrap();
    assert_eq!((r.changed.len(), r.unchanged.len()), (1, 1));
    assert_eq!(c.collection("docs").unwrap().groups[0].artifact_count, 0);

    c.add_to_group("docs", "setup", &[key("skill", "a")])
        .unwrap();
    c.delete_artifact(&key("skill", "a")).unwrap();
    let d = c.collection("docs").unwrap();
    assert_eq!(
        (d.collection.artifact_count, d.groups[0].artifact_count),
        (0, 0)
    );
    c.delete_group("docs", "setup").unwrap();
    assert_eq!(c.collection("docs").unwrap().collection.group_count, 0);
    assert!(c.verify_counts().unwrap().is_empty());
}

#[test]
fn collections_create_rename_delete_with_clear_errors() {
    for t in catalogs(
        "collections_create_rename_delete_with_clear_errors",
        PgModes::Triggers,
        Catalog::builder,
    ) {
        eprintln!("backend: {}", t.name);
        collections_create_rename_delete_with_clear_errors_on(&t.catalog);
    }
}

fn collections_create_rename_delete_with_clear_errors_on(c: &Catalog) {
    c.create_collection("docs", "d").unwrap();
    let err = c.create_collection("docs", "again").unwrap_err();
    assert_eq!(
        err.to_string(),
        "collection `docs` already exists; choose another name or update the existing one"
    );
    c.create_collection("other", "").unwrap();
    assert!(matches!(
        c.rename_collection("docs", "other"),
        Err(Error::AlreadyExists { .. })
    ));
    c.rename_collection("docs", "guides").unwrap();
    assert_eq!(c.collection("guides").unwrap().collection.description, "d");
    let err = c.collection("docs").unwrap_err();
    assert_eq!(
        err.to_string(),
        "collection `docs` does not exist in the catalogue"
    );
    c.delete_collection("guides").unwrap();
    assert!(matches!(
        c.delete_collection("guides"),
        Err(Error::NotFound { .. })
    ));
    let names: Vec<String> = c
        .list_collections(10, None)
        .unwrap()
        .items
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["other"]);
}

#[test]
fn templates_keep_deploy_order_variables_and_file_contents() {
    for t in catalogs(
        "templates_keep_deploy_order_variables_and_file_contents",
        PgModes::Triggers,
        Catalog::builder,
    ) {
        eprintln!("backend: {}", t.name);
        templates_keep_deploy_order_variables_and_file_contents_on(&t.catalog);
    }
}

fn templates_keep_deploy_order_variables_and_file_contents_on(c: &Catalog) {
    for n in ["one", "two", "three"] {
        c.put_artifact(&artifact("skill", n).file(format!("{n}/extra.txt"), n))
            .unwrap();
    }
    c.create_collection("kit", "").unwrap();
    let spec = TemplateSpec::new("svc")
        .description("a service")
        .collection("kit")
        .entity(key("skill", "three"), true)
        .entity(key("skill", "one"), false)
        .variable(VariableDecl::required("PROJECT"))
        .variable(VariableDecl::optional("DATE", "2026-01-01"));
    c.create_template(&spec).unwrap();
    assert!(matches!(
        c.create_template(&spec),
        Err(Error::AlreadyExists { .. })
    ));

    let t = c.load_template("svc").unwrap();
    assert_eq!(
        (t.name.as_str(), t.collection.as_deref()),
        ("svc", Some("kit"))
    );
    let order: Vec<(u32, String, bool)> = t
        .entities
        .iter()
        .map(|e| (e.deploy_order, e.artifact.to_string(), e.required))
        .collect();
    assert_eq!(
        order,
        [
            (0, "skill:three".into(), true),
            (1, "skill:one".into(), false)
        ]
    );
    let files: Vec<(&str, &[u8])> = t.entities[0]
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.content.as_slice()))
        .collect();
    assert_eq!(
        files,
        [
            (".claude/skills/three.md", &b"# three\n{{PROJECT}}\n"[..]),
            ("three/extra.txt", b"three")
        ]
    );
    assert_eq!(
        t.variables,
        [
            VariableDecl::required("PROJECT"),
            VariableDecl::optional("DATE", "2026-01-01")
        ]
    );

    // An artifact a template needs cannot be deleted.
    let err = c.delete_artifact(&key("skill", "one")).unwrap_err();
    assert!(
        matches!(&err, Error::InUse { templates, .. } if templates == &["svc"]),
        "{err:?}"
    );

    let updated = TemplateSpec::new("svc").entity(key("skill", "two"), true);
    c.update_template(&updated).unwrap();
    let t = c.load_template("svc").unwrap();
    assert_eq!(
        (t.entities.len(), t.variables.len(), t.collection),
        (1, 0, None)
    );
    c.delete_artifact(&key("skill", "one")).unwrap();

    let listed = c.list_templates().unwrap();
    assert_eq!(
        (listed[0].name.as_str(), listed[0].entity_count),
        ("svc", 1)
    );
    assert!(matches!(
        c.update_template(&TemplateSpec::new("nope")),
        Err(Error::NotFound {
            kind: ObjectKind::Template,
            ..
        })
    ));
    let missing = TemplateSpec::new("bad").entity(key("skill", "ghost"), true);
    assert!(matches!(
        c.create_template(&missing),
        Err(Error::NotFound {
            kind: ObjectKind::Artifact,
            ..
        })
    ));
    assert!(
        c.load_template("bad").is_err(),
        "a failed create must leave nothing behind"
    );
    let dup_var = TemplateSpec::new("v")
        .variable(VariableDecl::required("A"))
        .variable(VariableDecl::required("A"));
    assert!(matches!(
        c.create_template(&dup_var),
        Err(Error::Invalid { .. })
    ));
    let bad_var = TemplateSpec::new("v").variable(VariableDecl::required("not-valid"));
    assert!(matches!(
        c.create_template(&bad_var),
        Err(Error::Invalid { .. })
    ));
    c.delete_template("svc").unwrap();
    assert!(matches!(
        c.load_template("svc"),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn tags_can_be_added_and_removed() {
    for t in catalogs(
        "tags_can_be_added_and_removed",
        PgModes::Triggers,
        Catalog::builder,
    ) {
        eprintln!("backend: {}", t.name);
        tags_can_be_added_and_removed_on(&t.catalog);
    }
}

fn tags_can_be_added_and_removed_on(c: &Catalog) {
    let k = key("rule_file", "style");
    c.put_artifact(&artifact("rule_file", "style").tag("a"))
        .unwrap();
    c.add_tags(&k, &["b", "a"]).unwrap();
    assert_eq!(c.artifact(&k).unwrap().tags, ["a", "b"]);
    c.remove_tags(&k, &["a", "never"]).unwrap();
    assert_eq!(c.artifact(&k).unwrap().tags, ["b"]);
    assert!(matches!(
        c.add_tags(&key("skill", "ghost"), &["a"]),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn one_catalogue_is_shared_by_threads() {
    fn assert_sync<T: Send + Sync>(_: &T) {}
    for t in catalogs(
        "one_catalogue_is_shared_by_threads",
        PgModes::Triggers,
        Catalog::builder,
    ) {
        eprintln!("backend: {}", t.name);
        let c = &t.catalog;
        assert_sync(c);
        c.create_collection("shared", "").unwrap();
        std::thread::scope(|s| {
            for i in 0..4 {
                s.spawn(move || {
                    for j in 0..5 {
                        let a = artifact("skill", &format!("t{i}-{j}"));
                        c.put_artifact(&a).unwrap();
                        c.add_to_collection("shared", std::slice::from_ref(&a.key))
                            .unwrap();
                        c.list_artifacts(&ArtifactQuery::new().collection("shared"))
                            .unwrap();
                    }
                });
            }
        });
        assert_eq!(c.collection_artifact_count("shared").unwrap(), 20);
        assert!(c.verify_counts().unwrap().is_empty());
    }
}

#[test]
fn version_numbers_are_a_history_even_when_content_returns() {
    for t in catalogs(
        "version_numbers_are_a_history_even_when_content_returns",
        PgModes::Triggers,
        Catalog::builder,
    ) {
        eprintln!("backend: {}", t.name);
        let c = &t.catalog;
        let k = key("command", "ship");
        let with = |body: &str| NewArtifact::new(k.clone()).file("ship.md", body.to_owned());
        // A, B, A, C, D, B: six contents, six versions, numbered in order.
        let mut seen = Vec::new();
        for (i, body) in ["A", "B", "A", "C", "D", "B"].into_iter().enumerate() {
            c.put_artifact(&with(body)).unwrap();
            let stored = c.artifact(&k).unwrap();
            assert_eq!(stored.version as usize, i + 1, "{body}");
            assert_eq!(stored.files[0].content, body.as_bytes());
            seen.push(stored.digest);
        }
        let versions = c.versions(&k).unwrap();
        let numbers: Vec<u32> = versions.iter().map(|v| v.version).collect();
        assert_eq!(numbers, [1, 2, 3, 4, 5, 6]);
        let digests: Vec<&str> = versions.iter().map(|v| v.digest.as_str()).collect();
        assert_eq!(digests, seen.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!((digests[0], digests[1]), (digests[2], digests[5]));
        // The same content again is no change and no version.
        assert_eq!(c.put_artifact(&with("B")).unwrap(), PutOutcome::Unchanged);
        assert_eq!(c.versions(&k).unwrap().len(), 6);
    }
}
