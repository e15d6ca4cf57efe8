//! `Catalog::install`: artifacts and templates in one transaction, and
//! `artifact_sources` in one statement, on every available backend.

mod common;

use common::{PgModes, catalogs};
use stencil_store::{ArtifactKey, Catalog, NewArtifact, TemplateSpec};

fn artifact(name: &str, source: &str) -> NewArtifact {
    NewArtifact::new(ArtifactKey::new("command", name).unwrap())
        .source(source)
        .file(format!("{name}.md"), format!("{name}\n"))
}

#[test]
fn a_failing_template_stores_nothing_of_the_artifacts_before_it() {
    for t in catalogs("install_atomic", PgModes::Triggers, Catalog::builder) {
        let catalog = &t.catalog;
        let first = artifact("first", "registry:team/command:first@1");
        let missing = ArtifactKey::new("command", "missing").unwrap();
        let err = catalog
            .install(
                vec![first.clone()],
                &[
                    TemplateSpec::new("good").entity(first.key.clone(), true),
                    TemplateSpec::new("bad").entity(missing, true),
                ],
            )
            .unwrap_err();
        assert!(err.to_string().contains("missing"), "{}: {err}", t.name);
        assert!(catalog.artifact(&first.key).is_err(), "{}", t.name);
        assert!(catalog.list_templates().unwrap().is_empty(), "{}", t.name);

        let outcome = catalog
            .install(
                vec![first.clone()],
                &[TemplateSpec::new("good").entity(first.key.clone(), true)],
            )
            .unwrap();
        assert_eq!(outcome.artifacts.created, std::slice::from_ref(&first.key));
        assert_eq!(outcome.templates_created, ["good"]);
        let again = catalog
            .install(
                vec![first.clone()],
                &[TemplateSpec::new("good")
                    .description("now")
                    .entity(first.key.clone(), false)],
            )
            .unwrap();
        assert_eq!(again.artifacts.unchanged, std::slice::from_ref(&first.key));
        assert_eq!(again.templates_replaced, ["good"]);
        assert_eq!(catalog.load_template("good").unwrap().description, "now");
    }
}

#[test]
fn artifact_sources_is_one_statement_whatever_the_number() {
    for t in catalogs("install_sources", PgModes::Triggers, Catalog::builder) {
        let catalog = &t.catalog;
        let mut statements = Vec::new();
        for n in [1usize, 50] {
            let artifacts = (0..n)
                .map(|i| {
                    artifact(
                        &format!("a{n}-{i}"),
                        &format!("registry:r{n}/command:a{i}@1"),
                    )
                })
                .collect::<Vec<_>>();
            catalog.import(artifacts).unwrap();
            catalog
                .import([artifact(&format!("local{n}"), "local")])
                .unwrap();
            let before = catalog.stats().statements;
            let found = catalog
                .artifact_sources(&format!("registry:r{n}/"))
                .unwrap();
            statements.push(catalog.stats().statements - before);
            assert_eq!(found.len(), n, "{}", t.name);
            assert!(found.iter().all(|s| s.source.starts_with("registry:")));
        }
        assert_eq!(statements, [1, 1], "{}", t.name);
        assert!(catalog.artifact_sources("registry%").unwrap().is_empty());
    }
}
