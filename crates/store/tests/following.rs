//! Templates that follow a collection (schema 5, issue 17): their entities
//! are the collection's members at each load; a snapshot keeps the list it
//! was saved with. What happens when the collection or a member goes.

mod common;

use common::{PgModes, artifact, catalogs, key};
use stencil_store::{Catalog, Error, TemplateSpec, VariableDecl};

fn keys(c: &Catalog, template: &str) -> Vec<(u32, String, bool)> {
    c.load_template(template)
        .unwrap()
        .entities
        .iter()
        .map(|e| (e.deploy_order, e.artifact.to_string(), e.required))
        .collect()
}

fn optional(order: u32, key: &str) -> (u32, String, bool) {
    (order, key.to_string(), false)
}

/// A catalogue with collection `myapp` holding `skill:b` and `agent:a`.
fn myapp(c: &Catalog) {
    for (kind, name) in [("skill", "b"), ("agent", "a"), ("command", "c")] {
        c.put_artifact(&artifact(kind, name).file(format!("{name}/more.txt"), name))
            .unwrap();
    }
    c.create_collection("myapp", "").unwrap();
    c.add_to_collection("myapp", &[key("skill", "b"), key("agent", "a")])
        .unwrap();
}

/// The members of `myapp` as a snapshot would list them.
fn snapshot_of_myapp(name: &str) -> TemplateSpec {
    TemplateSpec::new(name)
        .collection("myapp")
        .entity(key("agent", "a"), false)
        .entity(key("skill", "b"), false)
}

#[test]
fn a_following_template_deploys_what_the_collection_holds_now() {
    for t in catalogs(
        "a_following_template_deploys_what_the_collection_holds_now",
        PgModes::Both,
        Catalog::builder,
    ) {
        eprintln!("backend: {}", t.name);
        follows_members_on(&t.catalog);
    }
}

fn follows_members_on(c: &Catalog) {
    myapp(c);
    c.create_template(
        &TemplateSpec::new("live")
            .follows("myapp")
            .variable(VariableDecl::required("PROJECT")),
    )
    .unwrap();
    c.create_template(&snapshot_of_myapp("frozen")).unwrap();

    // Members in the listing's order (by name), all optional, with their files.
    let t = c.load_template("live").unwrap();
    assert!(t.follows_collection);
    assert_eq!(t.collection.as_deref(), Some("myapp"));
    assert_eq!(t.variables, [VariableDecl::required("PROJECT")]);
    assert_eq!(
        keys(c, "live"),
        [optional(0, "agent:a"), optional(1, "skill:b")]
    );
    let files: Vec<(&str, &[u8])> = t.entities[1]
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.content.as_slice()))
        .collect();
    assert_eq!(
        files,
        [
            (".claude/skills/b.md", &b"# b\n{{PROJECT}}\n"[..]),
            ("b/more.txt", b"b")
        ]
    );
    assert_eq!(keys(c, "frozen"), keys(c, "live"));
    assert!(!c.load_template("frozen").unwrap().follows_collection);

    // A member added appears in the following template only.
    c.add_to_collection("myapp", &[key("command", "c")])
        .unwrap();
    assert_eq!(
        keys(c, "live"),
        [
            optional(0, "agent:a"),
            optional(1, "skill:b"),
            optional(2, "command:c")
        ]
    );
    assert_eq!(keys(c, "frozen").len(), 2);

    // A member removed disappears from it.
    c.remove_from_collection("myapp", &[key("agent", "a")])
        .unwrap();
    assert_eq!(
        keys(c, "live"),
        [optional(0, "skill:b"), optional(1, "command:c")]
    );
    let counts: Vec<(String, bool, u64)> = c
        .list_templates()
        .unwrap()
        .into_iter()
        .map(|s| (s.name, s.follows_collection, s.entity_count))
        .collect();
    assert_eq!(
        counts,
        [("frozen".into(), false, 2), ("live".into(), true, 2)]
    );

    // Renamed, the collection is still followed.
    c.rename_collection("myapp", "app").unwrap();
    let t = c.load_template("live").unwrap();
    assert_eq!(
        (t.collection.as_deref(), t.entities.len()),
        (Some("app"), 2)
    );

    // Emptied, the template has no entities (it still loads).
    c.remove_from_collection("app", &[key("command", "c"), key("skill", "b")])
        .unwrap();
    assert!(keys(c, "live").is_empty());
    assert_eq!(c.list_templates().unwrap()[1].entity_count, 0);
}

#[test]
fn a_followed_collection_cannot_be_deleted_and_a_snapshot_of_it_keeps_its_entities() {
    for t in catalogs(
        "a_followed_collection_cannot_be_deleted",
        PgModes::Triggers,
        Catalog::builder,
    ) {
        eprintln!("backend: {}", t.name);
        deleting_the_collection_on(&t.catalog);
    }
}

fn deleting_the_collection_on(c: &Catalog) {
    myapp(c);
    c.create_template(&TemplateSpec::new("live").follows("myapp"))
        .unwrap();
    c.create_template(&TemplateSpec::new("also").follows("myapp"))
        .unwrap();
    let err = c.delete_collection("myapp").unwrap_err();
    assert!(
        matches!(&err, Error::Followed { collection, templates }
            if collection == "myapp" && templates == &["also", "live"]),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("followed by template(s) also, live")
    );
    assert_eq!(c.collection_artifact_count("myapp").unwrap(), 2);

    // Saved as snapshots (or deleted), the templates let it go and keep
    // the members they were saved with.
    c.update_template(&snapshot_of_myapp("live")).unwrap();
    c.delete_template("also").unwrap();
    c.delete_collection("myapp").unwrap();
    let t = c.load_template("live").unwrap();
    assert_eq!((t.collection, t.follows_collection), (None, false));
    assert_eq!(
        keys(c, "live"),
        [optional(0, "agent:a"), optional(1, "skill:b")]
    );
}

#[test]
fn the_schema_refuses_a_followed_collection_deleted_behind_the_catalogues_back() {
    for t in catalogs(
        "the_schema_refuses_a_followed_collection_deleted",
        PgModes::Triggers,
        Catalog::builder,
    ) {
        eprintln!("backend: {}", t.name);
        myapp(&t.catalog);
        t.catalog
            .create_template(&TemplateSpec::new("live").follows("myapp"))
            .unwrap();
        // What a delete racing a concurrent create would run: the CHECK
        // stops ON DELETE SET NULL leaving a template following nothing.
        // (A plain SQLite connection enforces no foreign keys unless asked.)
        let pragma = match t.name {
            "sqlite" => "PRAGMA foreign_keys = ON;",
            _ => "",
        };
        let refused = t.oracle.try_execute(&format!(
            "{pragma} DELETE FROM collections WHERE name = 'myapp'"
        ));
        assert!(refused.is_err(), "{}: deleted", t.name);
        assert!(t.catalog.load_template("live").unwrap().follows_collection);
    }
}

#[test]
fn removing_a_member_artifact_shrinks_a_following_template_but_not_a_snapshot() {
    for t in catalogs(
        "removing_a_member_artifact_shrinks_a_following_template",
        PgModes::Triggers,
        Catalog::builder,
    ) {
        eprintln!("backend: {}", t.name);
        removing_an_artifact_on(&t.catalog);
    }
}

fn removing_an_artifact_on(c: &Catalog) {
    myapp(c);
    c.create_template(&TemplateSpec::new("live").follows("myapp"))
        .unwrap();
    // A following template names the collection, not its members: the
    // artifact goes, with its memberships, as remove_from_collection would.
    c.delete_artifact(&key("skill", "b")).unwrap();
    assert_eq!(keys(c, "live"), [optional(0, "agent:a")]);

    // A snapshot names its entities: still refused.
    c.create_template(
        &TemplateSpec::new("frozen")
            .collection("myapp")
            .entity(key("agent", "a"), false),
    )
    .unwrap();
    let err = c.delete_artifact(&key("agent", "a")).unwrap_err();
    assert!(
        matches!(&err, Error::InUse { templates, .. } if templates == &["frozen"]),
        "{err:?}"
    );
}

#[test]
fn a_template_saved_before_schema_5_stays_the_snapshot_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v4.db");
    {
        let c = Catalog::open(&path).unwrap();
        myapp(&c);
        c.create_template(&snapshot_of_myapp("old")).unwrap();
    }
    {
        // Back to schema 4: what stencil wrote before templates could follow
        // (and before the listing index of schema 6).
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE INDEX artifacts_by_name ON artifacts (name);
             DROP INDEX artifacts_listing_by_name;
             DROP INDEX templates_by_collection;
             ALTER TABLE templates DROP COLUMN follows_collection;
             PRAGMA user_version = 4;",
        )
        .unwrap();
    }
    let c = Catalog::open(&path).unwrap();
    c.add_to_collection("myapp", &[key("command", "c")])
        .unwrap();
    let t = c.load_template("old").unwrap();
    assert_eq!(
        (t.collection.as_deref(), t.follows_collection),
        (Some("myapp"), false)
    );
    assert_eq!(
        keys(&c, "old"),
        [optional(0, "agent:a"), optional(1, "skill:b")]
    );
    let version: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, 7); // the newest schema (0007, listing indexes)
}

#[test]
fn a_following_spec_names_a_collection_and_no_entities() {
    let c = Catalog::open_in_memory().unwrap();
    myapp(&c);
    let with_entities = TemplateSpec::new("t")
        .follows("myapp")
        .entity(key("skill", "b"), true);
    let err = c.create_template(&with_entities).unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Invalid {
                what: "template",
                ..
            }
        ),
        "{err:?}"
    );
    let mut no_collection = TemplateSpec::new("t").follows("myapp");
    no_collection.collection = None;
    assert!(matches!(
        c.create_template(&no_collection),
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(
        c.create_template(&TemplateSpec::new("t").follows("nope")),
        Err(Error::NotFound { .. })
    ));
    assert!(c.list_templates().unwrap().is_empty());

    // `collection` after `follows` makes it a plain link again.
    let spec = TemplateSpec::new("t").follows("myapp").collection("myapp");
    assert!(!spec.follows_collection);
}
