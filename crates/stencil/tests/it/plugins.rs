//! Issue 18 through the library: plugins, marketplaces and the `.agents/`
//! layout imported with [`stencil::import`], deployed with
//! [`stencil::deploy_template`]. Fixtures: `testdata/plugins/`.

use std::fs;

use stencil::deploy::PlanError;
use stencil::import::{ImportError, ImportOptions, Layout, SkipReason, import_tree, scan_tree};
use stencil::store::{ArtifactKey, Catalog, CollectionMeta, TemplateSpec};
use stencil::{
    Error, PathProfile, PluginExportOptions, TemplateDeployOptions, deploy_template, export_plugin,
};

use crate::support::{assert_deployed_like_the_plugin, files_under, mode, plugin_fixture};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const PLUGIN: &str = "backend-development";

fn key(k: &str) -> ArtifactKey {
    ArtifactKey::parse(k).expect("key")
}

fn keys(keys: &[ArtifactKey]) -> Vec<String> {
    keys.iter().map(ToString::to_string).collect()
}

/// A template holding `artifacts`, in order.
fn template(catalog: &Catalog, name: &str, artifacts: &[ArtifactKey]) {
    let spec = artifacts
        .iter()
        .fold(TemplateSpec::new(name), |s, k| s.entity(k.clone(), false));
    catalog.create_template(&spec).expect("template");
}

#[test]
fn a_plugin_becomes_one_collection_of_namespaced_artifacts() -> TestResult {
    let dir = tempfile::tempdir()?;
    let src = plugin_fixture("plugin", dir.path());
    let catalog = Catalog::open_in_memory()?;
    let report = import_tree(&catalog, &src, &ImportOptions::new())?;

    assert_eq!(report.layout, Layout::Plugin);
    assert_eq!(
        keys(&report.created),
        [
            "agent:backend-development/backend-architect",
            "command:backend-development/db/migrate",
            "command:backend-development/scaffold",
            "context_file:backend-development/CLAUDE.md",
            "hook:backend-development",
            "mcp:backend-development",
            "skill:backend-development/api-design",
        ]
    );
    let plugin = &report.plugins[0];
    assert_eq!(plugin.meta.name, PLUGIN);
    assert_eq!(plugin.meta.version.as_deref(), Some("1.2.0"));
    assert_eq!(
        plugin.meta.author.as_deref(),
        Some("Ada Lovelace <ada@example.com>")
    );
    assert_eq!(
        plugin.twins,
        [".codex-plugin/plugin.json", ".cursor-plugin/plugin.json"]
    );
    assert!(plugin.collection.created);
    assert_eq!(plugin.collection.artifact_count, 7);
    let detail = catalog.collection(PLUGIN)?;
    assert_eq!(
        detail.collection.description,
        "Backend architecture, API design and database work"
    );

    // Package files are listed, not imported.
    let skipped: Vec<(&str, SkipReason)> = report
        .skipped
        .iter()
        .map(|s| (s.path.as_str(), s.reason))
        .collect();
    assert_eq!(
        skipped,
        [
            ("README.md", SkipReason::NotAnArtifact),
            ("scripts/unrelated.sh", SkipReason::NotAnArtifact),
        ]
    );

    // Executable content is flagged, kept byte for byte with its modes.
    assert_eq!(
        keys(&report.executable),
        ["hook:backend-development", "mcp:backend-development"]
    );
    let hook = catalog.artifact(&key("hook:backend-development"))?;
    let files: Vec<(&str, bool, bool)> = hook
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.executable, f.verbatim))
        .collect();
    assert_eq!(
        files,
        [
            (
                ".claude/hooks/backend-development/hooks/check.sh",
                true,
                true
            ),
            (
                ".claude/hooks/backend-development/hooks/hooks.json",
                false,
                true
            ),
            (
                ".claude/hooks/backend-development/scripts/format.sh",
                true,
                true
            ),
        ]
    );
    let skill = catalog.artifact(&key("skill:backend-development/api-design"))?;
    assert_eq!(skill.description, "REST and gRPC API design rules");
    assert_eq!(skill.source.as_deref(), Some("skills/api-design"));

    assert_eq!(
        detail.meta,
        CollectionMeta {
            version: Some("1.2.0".into()),
            author: Some("Ada Lovelace <ada@example.com>".into()),
            license: Some("MIT".into()),
            homepage: Some("https://example.com/backend-development".into()),
        }
    );

    // Re-import: nothing written.
    let again = import_tree(&catalog, &src, &ImportOptions::new())?;
    assert!(again.wrote_nothing(), "{}", again.summary());
    Ok(())
}

#[test]
fn a_newer_plugin_version_updates_its_collection_in_place() -> TestResult {
    let dir = tempfile::tempdir()?;
    let src = plugin_fixture("plugin", dir.path());
    let catalog = Catalog::open_in_memory()?;
    import_tree(&catalog, &src, &ImportOptions::new())?;
    let manifest = src.join(".claude-plugin/plugin.json");
    let text = fs::read_to_string(&manifest)?.replace("1.2.0", "1.3.0");
    fs::write(&manifest, text)?;
    fs::write(
        src.join("agents/backend-architect.md"),
        "---\ndescription: Designs services (v1.3)\n---\nNew text.\n",
    )?;
    let report = import_tree(&catalog, &src, &ImportOptions::new())?;
    let collection = &report.plugins[0].collection;
    assert!(!collection.created && collection.updated, "{collection:?}");
    assert_eq!(
        keys(&report.updated),
        ["agent:backend-development/backend-architect"]
    );
    assert_eq!(report.unchanged.len(), 6);
    let detail = catalog.collection(PLUGIN)?;
    assert_eq!(detail.meta.version.as_deref(), Some("1.3.0"));
    assert_eq!(detail.collection.artifact_count, 7);
    let agent = catalog.artifact(&key("agent:backend-development/backend-architect"))?;
    assert_eq!(agent.version, 2);
    assert!(import_tree(&catalog, &src, &ImportOptions::new())?.wrote_nothing());
    Ok(())
}

#[test]
fn a_plugin_collection_deploys_byte_identical_where_claude_reads_it() -> TestResult {
    let dir = tempfile::tempdir()?;
    let src = plugin_fixture("plugin", dir.path());
    let catalog = Catalog::open_in_memory()?;
    let report = import_tree(&catalog, &src, &ImportOptions::new())?;
    template(&catalog, "backend", &report.created);

    let project = dir.path().join("project");
    let options = TemplateDeployOptions::new().profile(PathProfile::Claude);
    deploy_template(
        &catalog,
        "backend",
        &project,
        [("PROJECT_NAME", "x")],
        &options,
    )?;

    assert_deployed_like_the_plugin(&src, &project);
    Ok(())
}

#[test]
fn executable_content_is_refused_where_no_assistant_runs_it() -> TestResult {
    let dir = tempfile::tempdir()?;
    let src = plugin_fixture("plugin", dir.path());
    let catalog = Catalog::open_in_memory()?;
    import_tree(&catalog, &src, &ImportOptions::new())?;
    template(&catalog, "hooks", &[key("hook:backend-development")]);
    template(&catalog, "mcp", &[key("mcp:backend-development")]);
    let project = dir.path().join("project");
    let deploy = |name: &str, profile: PathProfile| {
        let options = TemplateDeployOptions::new().profile(profile);
        deploy_template(&catalog, name, &project, [("PROJECT_NAME", "x")], &options)
    };
    let err = deploy("hooks", PathProfile::Codex).unwrap_err();
    assert!(
        matches!(&err, Error::NoTarget { artifact, .. } if artifact == "hook:backend-development"),
        "{err}"
    );
    assert!(matches!(
        deploy("mcp", PathProfile::Gemini),
        Err(Error::NoTarget { .. })
    ));
    assert!(!project.exists(), "a refused deploy wrote something");
    deploy("mcp", PathProfile::Cursor)?;
    assert_eq!(
        fs::read(project.join(".cursor/mcp.json"))?,
        fs::read(src.join(".mcp.json"))?
    );
    Ok(())
}

#[test]
fn a_marketplace_imports_each_local_plugin_and_reports_the_rest() -> TestResult {
    let dir = tempfile::tempdir()?;
    let src = plugin_fixture("marketplace", dir.path());
    let catalog = Catalog::open_in_memory()?;
    let report = import_tree(&catalog, &src, &ImportOptions::new())?;

    assert_eq!(report.layout, Layout::Marketplace);
    let plugins: Vec<(&str, &str, Option<&str>)> = report
        .plugins
        .iter()
        .map(|p| {
            (
                p.meta.name.as_str(),
                p.path.as_str(),
                p.meta.version.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        plugins,
        [
            (
                "backend-development",
                "plugins/backend-development",
                Some("2.0.0")
            ),
            // The entry's version fills the manifest's gap.
            (
                "frontend-development",
                "plugins/frontend-development",
                Some("0.9.0")
            ),
            // No manifest of its own: the entry is the manifest.
            ("listed-only", "plugins/listed-only", Some("0.1.0")),
        ]
    );
    assert_eq!(report.skipped_plugins.len(), 1);
    let remote = &report.skipped_plugins[0];
    assert_eq!(remote.name, "remote-tools");
    assert!(remote.remote);
    assert!(
        remote.reason.contains("github example/remote-tools"),
        "{}",
        remote.reason
    );

    // Same file name, different content, different plugins: both kept.
    let backend = catalog.artifact(&key("agent:backend-development/backend-architect"))?;
    let frontend = catalog.artifact(&key("agent:frontend-development/backend-architect"))?;
    assert_ne!(backend.files[0].content, frontend.files[0].content);
    assert_eq!(backend.files[0].path, frontend.files[0].path);
    assert_eq!(
        catalog
            .collection("frontend-development")?
            .collection
            .artifact_count,
        2
    );

    // Both in one deploy land on one path: a plan conflict, as ever.
    template(
        &catalog,
        "both",
        &[backend.key.clone(), frontend.key.clone()],
    );
    let project = dir.path().join("project");
    let err = deploy_template(
        &catalog,
        "both",
        &project,
        [("PROJECT_NAME", "x")],
        &TemplateDeployOptions::new(),
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::Plan(PlanError::Duplicate { .. })),
        "{err:?}"
    );

    assert!(import_tree(&catalog, &src, &ImportOptions::new())?.wrote_nothing());
    Ok(())
}

#[test]
fn the_agents_layout_is_a_plain_tree_with_plain_keys() -> TestResult {
    let dir = tempfile::tempdir()?;
    let src = plugin_fixture("agents-layout", dir.path());
    let catalog = Catalog::open_in_memory()?;
    let report = import_tree(&catalog, &src, &ImportOptions::new())?;
    assert_eq!(report.layout, Layout::Tree);
    assert_eq!(report.roots, [".agents"]);
    assert_eq!(
        keys(&report.created),
        ["context_file:AGENTS.md", "skill:triage"]
    );
    let skill = catalog.artifact(&key("skill:triage"))?;
    assert_eq!(skill.files[0].path, ".agents/skills/triage/SKILL.md");
    Ok(())
}

#[test]
fn layouts_can_be_forced() -> TestResult {
    let dir = tempfile::tempdir()?;
    let src = plugin_fixture("plugin", dir.path());
    // As a plain tree the plugin has no root folder.
    let err = scan_tree(&src, &ImportOptions::new().layout(Layout::Tree)).unwrap_err();
    assert!(matches!(err, ImportError::NoRoot { .. }), "{err}");
    // A marketplace's plugin folder read as a plugin on its own.
    let market = plugin_fixture("marketplace", dir.path());
    let one = scan_tree(
        market.join("plugins/listed-only"),
        &ImportOptions::new().layout(Layout::Plugin),
    )?;
    assert_eq!(one.plugins[0].meta.name, "listed-only");
    assert_eq!(
        keys(&one.plugins[0].artifacts),
        ["agent:listed-only/helper"]
    );
    Ok(())
}

/// The error of importing fixture `name`, and that nothing was stored.
fn refused(name: &str) -> ImportError {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = plugin_fixture(name, dir.path());
    let catalog = Catalog::open_in_memory().expect("catalogue");
    let err = import_tree(&catalog, &src, &ImportOptions::new()).unwrap_err();
    let page = catalog
        .list_artifacts(&Default::default())
        .expect("listing");
    assert!(page.items.is_empty(), "{name}: something was stored");
    assert!(
        catalog
            .list_collections(10, None)
            .expect("list")
            .items
            .is_empty(),
        "{name}: a collection was created"
    );
    err
}

fn metadata_error(err: &ImportError) -> (String, String) {
    match err {
        ImportError::Metadata { file, field, .. } => (
            file.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            field.clone(),
        ),
        other => panic!("expected a metadata error, got {other}"),
    }
}

#[test]
fn malformed_metadata_names_file_and_field_and_stores_nothing() {
    let cases = [
        ("malformed/invalid-json", "plugin.json", ""),
        ("malformed/no-name", "plugin.json", "name"),
        (
            "malformed/missing-hook-script",
            "hooks.json",
            "hooks.Stop[0].hooks[0].command",
        ),
        ("malformed/invalid-marketplace", "marketplace.json", ""),
    ];
    for (fixture, file, field) in cases {
        let err = refused(fixture);
        assert_eq!(
            metadata_error(&err),
            (file.to_string(), field.to_string()),
            "{fixture}: {err}"
        );
        let message = err.to_string();
        assert!(message.contains(file), "{message}");
        assert!(message.ends_with("nothing was imported"), "{message}");
    }
    assert!(
        refused("malformed/invalid-json")
            .to_string()
            .contains("invalid JSON")
    );
}

#[test]
fn bad_marketplace_entries_are_reported_and_skipped() -> TestResult {
    let dir = tempfile::tempdir()?;
    let src = plugin_fixture("malformed/marketplace", dir.path());
    let catalog = Catalog::open_in_memory()?;
    let report = import_tree(&catalog, &src, &ImportOptions::new())?;
    assert_eq!(keys(&report.created), ["agent:good/fine"]);
    let reasons: Vec<(&str, &str)> = report
        .skipped_plugins
        .iter()
        .map(|s| (s.name.as_str(), s.reason.as_str()))
        .collect();
    let expect = [
        ("escapes", "plugins[1].source"),
        ("absolute", "plugins[2].source"),
        ("linked", "symbolic link"),
        ("missing", "not a folder"),
        ("bad-manifest", "version"),
        ("twice", "listed 2 times"),
        ("twice", "listed 2 times"),
        ("plugins[8]", "plugins[8].name"),
    ];
    assert_eq!(reasons.len(), expect.len(), "{reasons:#?}");
    for ((name, reason), (want_name, want)) in reasons.iter().zip(expect) {
        assert_eq!(*name, want_name);
        assert!(reason.contains(want), "{name}: {reason}");
    }
    // The link's target was never read.
    assert!(
        catalog.artifact(&key("agent:linked/secret")).is_err(),
        "followed a symlinked plugin folder"
    );
    Ok(())
}

#[test]
fn symlinked_metadata_is_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    let src = plugin_fixture("plugin", dir.path());
    let manifest = src.join(".claude-plugin/plugin.json");
    let real = dir.path().join("elsewhere.json");
    fs::rename(&manifest, &real)?;
    std::os::unix::fs::symlink(&real, &manifest)?;
    let err = scan_tree(&src, &ImportOptions::new()).unwrap_err();
    assert!(err.to_string().contains("symbolic link"), "{err}");
    Ok(())
}

#[test]
fn an_exported_plugin_imports_as_the_same_artifacts() -> TestResult {
    let dir = tempfile::tempdir()?;
    let src = plugin_fixture("plugin", dir.path());
    let catalog = Catalog::open_in_memory()?;
    let report = import_tree(&catalog, &src, &ImportOptions::new())?;
    let spec = report
        .created
        .iter()
        .fold(TemplateSpec::new("backend").collection(PLUGIN), |s, k| {
            s.entity(k.clone(), false)
        });
    catalog.create_template(&spec)?;

    let out = dir.path().join("exported");
    let export = export_plugin(&catalog, "backend", &out, &PluginExportOptions::new())?;
    assert_eq!(export.name, PLUGIN);
    assert_eq!(export.artifacts, 7);
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join(".claude-plugin/plugin.json"))?)?;
    let original: serde_json::Value =
        serde_json::from_slice(&fs::read(src.join(".claude-plugin/plugin.json"))?)?;
    for field in [
        "name",
        "version",
        "description",
        "author",
        "license",
        "homepage",
    ] {
        assert_eq!(manifest[field], original[field], "{field}");
    }
    // Every file of the plugin that was imported is back in its place,
    // byte for byte with its mode; the package files were not imported.
    let mut want: Vec<String> = files_under(&src)
        .into_iter()
        .filter(|p| {
            !p.starts_with(".codex-plugin/")
                && !p.starts_with(".cursor-plugin/")
                && p != "README.md"
                && p != "scripts/unrelated.sh"
        })
        .collect();
    want.sort();
    assert_eq!(files_under(&out), want);
    for path in &want {
        if path != ".claude-plugin/plugin.json" {
            assert_eq!(
                fs::read(src.join(path))?,
                fs::read(out.join(path))?,
                "{path}"
            );
        }
        assert_eq!(mode(&src.join(path)), mode(&out.join(path)), "{path}");
    }

    // Re-imported into the same catalogue: nothing changes.
    let again = import_tree(&catalog, &out, &ImportOptions::new())?;
    assert!(again.wrote_nothing(), "{}", again.summary());
    // Into a fresh one: the same artifacts.
    let fresh = Catalog::open_in_memory()?;
    let back = import_tree(&fresh, &out, &ImportOptions::new())?;
    assert_eq!(back.created, report.created);
    for k in &report.created {
        let (a, b) = (catalog.artifact(k)?, fresh.artifact(k)?);
        assert_eq!(
            (&a.description, &a.files, &a.digest),
            (&b.description, &b.files, &b.digest),
            "{k}"
        );
    }

    // An existing directory is never touched.
    let err = export_plugin(&catalog, "backend", &out, &PluginExportOptions::new()).unwrap_err();
    assert!(matches!(err, Error::ExportExists { .. }), "{err}");
    Ok(())
}

#[test]
fn exporting_what_a_plugin_cannot_hold_is_refused_and_writes_nothing() -> TestResult {
    let dir = tempfile::tempdir()?;
    let catalog = Catalog::open_in_memory()?;
    catalog.put_artifact(
        &stencil::store::NewArtifact::new(key("rule_file:api"))
            .file(".claude/rules/api.md", "Be kind.\n"),
    )?;
    catalog.put_artifact(
        &stencil::store::NewArtifact::new(key("agent:tester"))
            .file(".claude/agents/tester.md", "Test.\n"),
    )?;
    template(
        &catalog,
        "mixed",
        &[key("agent:tester"), key("rule_file:api")],
    );
    let out = dir.path().join("out");
    let err = export_plugin(&catalog, "mixed", &out, &PluginExportOptions::new()).unwrap_err();
    assert!(
        matches!(&err, Error::NoPluginPlace { artifact, path } if artifact == "rule_file:api" && path == ".claude/rules/api.md"),
        "{err}"
    );
    let err = export_plugin(
        &catalog,
        "mixed",
        &out,
        &PluginExportOptions::new().name("not a name"),
    )
    .unwrap_err();
    assert!(matches!(err, Error::PluginName { .. }), "{err}");
    assert_eq!(
        fs::read_dir(dir.path())?.count(),
        0,
        "something was written"
    );
    Ok(())
}
