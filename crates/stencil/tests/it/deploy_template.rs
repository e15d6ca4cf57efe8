//! `deploy_template` and `render_template` against real catalogues on disk
//! and real directories.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use stencil::deploy::{DeployOptions, OverwritePolicy};
use stencil::render::RenderError;
use stencil::store::{ArtifactKey, Catalog, NewArtifact, NewFile, TemplateSpec, VariableDecl};
use stencil::{
    Error, FilePart, PathProfile, TemplateDeployOptions, deploy_template, render_template,
};

/// Every regular file under `root`, relative path → contents.
/// The project's own files: the snapshot without stencil's state
/// directory (the deployment record and bases every deploy writes).
fn project_files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = snapshot(root);
    files.retain(|path, _| !path.starts_with(".stencil/"));
    files
}

fn snapshot(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, root, out);
            } else {
                // `/`-separated on every platform, like the plan's paths.
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn key(k: &str) -> ArtifactKey {
    ArtifactKey::parse(k).unwrap()
}

/// The original system's acceptance case: 10 entities, each file with
/// `{{PROJECT_NAME}}`×3, `{{AUTHOR}}`×2, `{{DATE}}`×2.
fn acceptance_catalog(path: &Path) -> Catalog {
    let catalog = Catalog::open(path).unwrap();
    let body = "# {{PROJECT_NAME}}\nBy {{AUTHOR}} on {{DATE}}.\n\
                {{PROJECT_NAME}} is maintained by {{AUTHOR}}.\n\
                Updated {{DATE}} for {{PROJECT_NAME}}.\n";
    let mut spec = TemplateSpec::new("acceptance");
    let kinds = ["skill", "command", "agent", "rule_file", "context_file"];
    for i in 0..10 {
        let k = key(&format!("{}:item{i}", kinds[i % kinds.len()]));
        let path = match kinds[i % kinds.len()] {
            "skill" => format!(".claude/skills/item{i}/SKILL.md"),
            "command" => format!(".claude/commands/item{i}.md"),
            "agent" => format!(".claude/agents/item{i}.md"),
            "rule_file" => format!(".claude/rules/item{i}.md"),
            _ => format!("docs/item{i}.md"),
        };
        catalog
            .put_artifact(&NewArtifact::new(k.clone()).file(path, body))
            .unwrap();
        spec = spec.entity(k, i < 5);
    }
    catalog.create_template(&spec).unwrap();
    catalog
}

const VARS: [(&str, &str); 3] = [
    ("PROJECT_NAME", "rocket"),
    ("AUTHOR", "Ada"),
    ("DATE", "2026-11-21"),
];

#[test]
fn acceptance_case_writes_every_file_with_no_placeholder_left() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = acceptance_catalog(&dir.path().join("catalog.db"));
    let project = dir.path().join("project");
    let report = deploy_template(
        &catalog,
        "acceptance",
        &project,
        VARS,
        &TemplateDeployOptions::new(),
    )
    .unwrap();
    assert_eq!(report.deploy.written.len(), 10);
    assert!(report.deploy.skipped.is_empty() && report.deploy.overwritten.is_empty());
    let files = project_files(&project);
    assert_eq!(files.len(), 10);
    for (path, content) in &files {
        let text = String::from_utf8(content.clone()).unwrap();
        assert!(
            !text.contains("{{"),
            "{path} still has a placeholder: {text}"
        );
        assert_eq!(text.matches("rocket").count(), 3, "{path}");
        assert_eq!(text.matches("Ada").count(), 2, "{path}");
        assert_eq!(text.matches("2026-11-21").count(), 2, "{path}");
    }
    // Files are listed in deploy order.
    let order: Vec<String> = report
        .files
        .iter()
        .map(|f| f.artifact.name().to_string())
        .collect();
    assert_eq!(
        order,
        (0..10).map(|i| format!("item{i}")).collect::<Vec<_>>()
    );
    assert!(
        report.summary().contains("10 written"),
        "{}",
        report.summary()
    );
}

/// Past the deploy's in-memory budget (32 MiB) files are read from the
/// catalogue again when staged: the project and its bases are the same as
/// when everything was held, and with a secret the base keeps its
/// placeholder.
#[test]
fn a_template_larger_than_the_memory_budget_deploys_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(dir.path().join("c.db")).unwrap();
    let line = "{{PROJECT_NAME}} keeps {{TOKEN}} here\n";
    let mut spec = TemplateSpec::new("big").variable(VariableDecl::optional("TOKEN", ""));
    for i in 0..6 {
        let k = key(&format!("skill:big{i}"));
        let body = format!("{}{i}\n", line.repeat((7 << 20) / line.len()));
        catalog
            .put_artifact(&NewArtifact::new(k.clone()).file(format!("doc{i}.md"), body))
            .unwrap();
        spec = spec.entity(k, true);
    }
    catalog.create_template(&spec).unwrap();
    let vars = [("PROJECT_NAME", "demo")];
    let want = render_template(&catalog, "big", vars, &TemplateDeployOptions::new()).unwrap();
    let root = dir.path().join("p");
    let options = TemplateDeployOptions::new().secret("TOKEN", "s3cr3t");
    let report = deploy_template(&catalog, "big", &root, vars, &options).unwrap();
    assert_eq!(report.deploy.written.len(), 6);
    let files = project_files(&root);
    assert_eq!(files.len(), 6);
    for f in &want {
        let masked = &f.contents;
        let real = String::from_utf8(masked.clone())
            .unwrap()
            .replace("keeps  here", "keeps s3cr3t here");
        assert_eq!(files[f.path.as_str()], real.as_bytes(), "{}", f.path);
    }
    // Each base is the masked rendering: the secret never reaches `.stencil/`.
    let bases: Vec<Vec<u8>> = snapshot(&root)
        .into_iter()
        .filter(|(p, _)| p.starts_with(".stencil/bases/"))
        .map(|(_, b)| b)
        .collect();
    assert_eq!(bases.len(), 6);
    for base in &bases {
        let text = String::from_utf8_lossy(base);
        assert!(text.contains("demo keeps {{TOKEN}} here"));
        assert!(!text.contains("s3cr3t"));
    }
}

#[test]
fn date_defaults_to_today() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = acceptance_catalog(&dir.path().join("catalog.db"));
    let files = render_template(
        &catalog,
        "acceptance",
        [("PROJECT_NAME", "p"), ("AUTHOR", "a")],
        &TemplateDeployOptions::new(),
    )
    .unwrap();
    let today = stencil::today();
    assert!(String::from_utf8_lossy(&files[0].contents).contains(&today));
}

#[test]
fn skip_existing_leaves_content_and_lists_it() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = acceptance_catalog(&dir.path().join("catalog.db"));
    let project = dir.path().join("project");
    fs::create_dir_all(project.join(".claude/commands")).unwrap();
    fs::write(project.join(".claude/commands/item1.md"), "my own\n").unwrap();
    let report = deploy_template(
        &catalog,
        "acceptance",
        &project,
        VARS,
        &TemplateDeployOptions::new(),
    )
    .unwrap();
    assert_eq!(
        report
            .deploy
            .skipped
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>(),
        [".claude/commands/item1.md"]
    );
    assert_eq!(report.deploy.written.len(), 9);
    assert_eq!(
        fs::read_to_string(project.join(".claude/commands/item1.md")).unwrap(),
        "my own\n"
    );
}

#[test]
fn fail_policy_with_existing_file_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = acceptance_catalog(&dir.path().join("catalog.db"));
    let project = dir.path().join("project");
    fs::create_dir_all(project.join(".claude/rules")).unwrap();
    fs::write(project.join(".claude/rules/item3.md"), "keep\n").unwrap();
    let before = snapshot(&project);
    let options = TemplateDeployOptions::new()
        .deploy_options(DeployOptions::new().overwrite(OverwritePolicy::Fail));
    let err = deploy_template(&catalog, "acceptance", &project, VARS, &options).unwrap_err();
    assert!(matches!(err, Error::Deploy(_)), "{err}");
    assert_eq!(snapshot(&project), before);
}

#[test]
fn missing_required_entity_is_listed_in_deploy_order() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = acceptance_catalog(&dir.path().join("catalog.db"));
    let project = dir.path().join("project");
    let options = TemplateDeployOptions::new().select(["command:item1", "skill:item5"]);
    let err = deploy_template(&catalog, "acceptance", &project, VARS, &options).unwrap_err();
    match &err {
        Error::MissingRequired { missing, .. } => assert_eq!(
            missing,
            &[
                "skill:item0",
                "agent:item2",
                "rule_file:item3",
                "context_file:item4"
            ]
        ),
        other => panic!("unexpected {other}"),
    }
    assert!(
        err.to_string().contains("`skill:item0`, `agent:item2`"),
        "{err}"
    );
    assert!(!project.exists());
}

#[test]
fn unknown_selected_key_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = acceptance_catalog(&dir.path().join("catalog.db"));
    let project = dir.path().join("project");
    let all_required = [
        "skill:item0",
        "command:item1",
        "agent:item2",
        "rule_file:item3",
        "context_file:item4",
    ];
    let options =
        TemplateDeployOptions::new().select(all_required.iter().copied().chain(["skill:nope"]));
    let err = deploy_template(&catalog, "acceptance", &project, VARS, &options).unwrap_err();
    assert!(
        matches!(&err, Error::UnknownEntity { unknown, .. } if unknown == &["skill:nope"]),
        "{err}"
    );
    assert!(!project.exists());
    // The required ones alone deploy just those five.
    let options = TemplateDeployOptions::new().select(all_required);
    let report = deploy_template(&catalog, "acceptance", &project, VARS, &options).unwrap();
    assert_eq!(report.deploy.written.len(), 5);
}

#[test]
fn a_variable_cannot_lead_a_path_out_of_the_project() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(dir.path().join("catalog.db")).unwrap();
    let k = key("context_file:named");
    catalog
        .put_artifact(&NewArtifact::new(k.clone()).file("{{PROJECT_NAME}}/notes.md", "x"))
        .unwrap();
    catalog
        .create_template(&TemplateSpec::new("t").entity(k, true))
        .unwrap();
    let project = dir.path().join("project");
    for evil in ["../escaped", "/tmp/abs", "a/../../b", "..", "C:evil"] {
        let err = deploy_template(
            &catalog,
            "t",
            &project,
            [("PROJECT_NAME", evil)],
            &TemplateDeployOptions::new(),
        )
        .unwrap_err();
        assert!(matches!(err, Error::Path { .. }), "{evil}: {err}");
    }
    assert!(!project.exists());
    assert!(!dir.path().join("escaped").exists());
    // A name that merely contains dots is fine.
    let report = deploy_template(
        &catalog,
        "t",
        &project,
        [("PROJECT_NAME", "v1..2")],
        &TemplateDeployOptions::new(),
    )
    .unwrap();
    assert_eq!(report.deploy.written[0].as_str(), "v1..2/notes.md");
}

#[test]
fn profile_rewrites_known_roots() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(dir.path().join("catalog.db")).unwrap();
    let k = key("rule_file:api");
    catalog
        .put_artifact(
            &NewArtifact::new(k.clone())
                .file(".claude/rules/api.md", "rules")
                .file("CLAUDE.md", "top"),
        )
        .unwrap();
    catalog
        .create_template(&TemplateSpec::new("t").entity(k, true))
        .unwrap();
    let project = dir.path().join("project");
    let options = TemplateDeployOptions::new().profile(PathProfile::Codex);
    deploy_template(&catalog, "t", &project, VARS, &options).unwrap();
    let files = project_files(&project);
    assert_eq!(
        files.keys().collect::<Vec<_>>(),
        [".codex/rules/api.md", "CLAUDE.md"]
    );
    // A custom root is validated like any path.
    assert!(matches!(
        PathProfile::custom("../out"),
        Err(Error::Profile { .. })
    ));
    let options = TemplateDeployOptions::new().profile(PathProfile::custom("config/ai").unwrap());
    let rendered = render_template(&catalog, "t", VARS, &options).unwrap();
    let api = rendered
        .iter()
        .find(|f| f.stored_path == ".claude/rules/api.md")
        .unwrap();
    assert_eq!(api.path.as_str(), "config/ai/rules/api.md");
}

#[test]
fn dry_run_writes_nothing_and_reports_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = acceptance_catalog(&dir.path().join("catalog.db"));
    let project = dir.path().join("project");
    let options = TemplateDeployOptions::new().deploy_options(DeployOptions::new().dry_run(true));
    let report = deploy_template(&catalog, "acceptance", &project, VARS, &options).unwrap();
    assert_eq!(report.deploy.written.len(), 10);
    assert!(report.deploy.dry_run);
    assert!(!project.exists());
}

#[test]
fn corrupt_blob_fails_with_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    drop(acceptance_catalog(&db));
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let n = conn
            .execute("UPDATE blobs SET content = CAST('tampered' AS BLOB)", [])
            .unwrap();
        assert!(n > 0);
    }
    let catalog = Catalog::open(&db).unwrap();
    let project = dir.path().join("project");
    let err = deploy_template(
        &catalog,
        "acceptance",
        &project,
        VARS,
        &TemplateDeployOptions::new(),
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::Store(stencil::store::Error::Corrupt { .. })),
        "{err}"
    );
    assert!(!project.exists());
}

#[test]
fn invalid_variables_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = acceptance_catalog(&dir.path().join("catalog.db"));
    let project = dir.path().join("project");
    let err = deploy_template(
        &catalog,
        "acceptance",
        &project,
        [("AUTHOR", "Ada")],
        &TemplateDeployOptions::new(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::Render(RenderError::MissingRequired { names }) if names == &["PROJECT_NAME"]),
        "{err}"
    );
    let err = deploy_template(
        &catalog,
        "acceptance",
        &project,
        [("PROJECT_NAME", "p"), ("COLOUR", "red")],
        &TemplateDeployOptions::new(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("`COLOUR`"), "{err}");
    let err = deploy_template(
        &catalog,
        "nope",
        &project,
        VARS,
        &TemplateDeployOptions::new(),
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::Store(stencil::store::Error::NotFound { .. })),
        "{err}"
    );
    assert!(!project.exists());
}

#[test]
fn strict_names_file_line_column_and_lenient_reports_what_it_left() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(dir.path().join("catalog.db")).unwrap();
    let k = key("skill:py");
    catalog
        .put_artifact(&NewArtifact::new(k.clone()).file(
            ".claude/skills/py/gen.py",
            "x = 1\nprint(f\"{{{NS}}}.{{PROJECT_NAME}}\")\n",
        ))
        .unwrap();
    catalog
        .create_template(&TemplateSpec::new("t").entity(k, true))
        .unwrap();
    let project = dir.path().join("project");
    let err =
        deploy_template(&catalog, "t", &project, VARS, &TemplateDeployOptions::new()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with("1 unknown placeholder: .claude/skills/py/gen.py: 2:10 `{{NS}}`"),
        "{msg}"
    );
    assert!(!project.exists());

    let options = TemplateDeployOptions::new().lenient(true);
    let report = deploy_template(&catalog, "t", &project, VARS, &options).unwrap();
    assert_eq!(report.left.len(), 1);
    let (path, left) = &report.left[0];
    assert_eq!(
        (path.as_str(), left.name.as_str(), left.line, left.column),
        (".claude/skills/py/gen.py", "NS", 2, 10)
    );
    assert_eq!(
        fs::read_to_string(project.join(".claude/skills/py/gen.py")).unwrap(),
        "x = 1\nprint(f\"{{{NS}}}.rocket\")\n"
    );
    assert!(report.summary().contains("1 unknown placeholder left"));
}

/// Issue 12: a file that does not render names its artifact and its path
/// as stored (what `stencil artifact verbatim` takes), for a placeholder in
/// the path as in the content; the renderer's own location stays the
/// file's place in the project (after the profile).
#[test]
fn a_file_that_does_not_render_names_its_artifact_and_stored_path() {
    let catalog = Catalog::open_in_memory().unwrap();
    let in_path = key("command:in-path");
    let in_content = key("rule_file:in-content");
    catalog
        .put_artifact(&NewArtifact::new(in_path.clone()).file(".claude/commands/{{NOPE}}.md", "ok"))
        .unwrap();
    catalog
        .put_artifact(
            &NewArtifact::new(in_content.clone()).file(".claude/rules/r.md", "a\n {{NOPE}}"),
        )
        .unwrap();
    catalog
        .create_template(&TemplateSpec::new("p").entity(in_path, true))
        .unwrap();
    catalog
        .create_template(&TemplateSpec::new("c").entity(in_content, true))
        .unwrap();
    let options = TemplateDeployOptions::new().profile(PathProfile::Codex);
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "p",
            "command:in-path",
            ".claude/commands/{{NOPE}}.md",
            FilePart::Path,
            ".codex/commands/{{NOPE}}.md",
            (1, 17),
        ),
        (
            "c",
            "rule_file:in-content",
            ".claude/rules/r.md",
            FilePart::Content,
            ".codex/rules/r.md",
            (2, 2),
        ),
    ];
    for (template, want_artifact, want_stored, want_part, want_file, want_at) in cases {
        let err = deploy_template(
            &catalog,
            template,
            dir.path().join(template),
            VARS,
            &options,
        )
        .unwrap_err();
        let Error::UnknownPlaceholders {
            placeholders,
            total: 1,
            ..
        } = err
        else {
            panic!("unexpected error: {err:?}");
        };
        let [p] = &placeholders[..] else {
            panic!("not one placeholder: {placeholders:?}");
        };
        assert_eq!(
            (p.artifact.as_str(), p.stored_path.as_str(), p.part),
            (want_artifact, want_stored, want_part)
        );
        assert_eq!(
            (p.file.as_str(), (p.line, p.column), p.name.as_str()),
            (want_file, want_at, "NOPE")
        );
        assert!(!dir.path().join(template).exists());
    }
}

#[test]
fn verbatim_binary_and_executable_files_keep_their_bytes_and_mode() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(dir.path().join("catalog.db")).unwrap();
    let k = key("skill:tools");
    let png = b"\x89PNG\r\n\x1a\n\0\0{{PROJECT_NAME}}".to_vec();
    let mut script = NewFile::new(
        ".claude/skills/tools/run.sh",
        "#!/bin/sh\necho '{{PROJECT_NAME}}'\n",
    );
    script.executable = true;
    let mut raw = NewFile::new(
        ".claude/skills/tools/raw.hbs",
        "{{UNKNOWN}} {{PROJECT_NAME}}",
    );
    raw.verbatim = true;
    catalog
        .put_artifact(
            &NewArtifact::new(k.clone())
                .with_file(script)
                .with_file(raw)
                .file(".claude/skills/tools/logo.png", png.clone()),
        )
        .unwrap();
    catalog
        .create_template(
            &TemplateSpec::new("t")
                .entity(k, true)
                .variable(VariableDecl::optional("X", "1")),
        )
        .unwrap();
    let project = dir.path().join("project");
    deploy_template(&catalog, "t", &project, VARS, &TemplateDeployOptions::new()).unwrap();
    let base = project.join(".claude/skills/tools");
    assert_eq!(fs::read(base.join("logo.png")).unwrap(), png);
    assert_eq!(
        fs::read_to_string(base.join("raw.hbs")).unwrap(),
        "{{UNKNOWN}} {{PROJECT_NAME}}"
    );
    assert_eq!(
        fs::read_to_string(base.join("run.sh")).unwrap(),
        "#!/bin/sh\necho 'rocket'\n"
    );
    // Unix only: Windows has no executable bit (and no `sh` to run it).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(base.join("run.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "run.sh mode {mode:o}");
        let out = std::process::Command::new(base.join("run.sh"))
            .output()
            .unwrap();
        assert_eq!(out.stdout, b"rocket\n");
        let mode = fs::metadata(base.join("raw.hbs"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0, "raw.hbs mode {mode:o}");
    }
}

#[test]
fn loading_a_template_stays_in_its_statement_budget() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = acceptance_catalog(&dir.path().join("catalog.db"));
    let before = catalog.stats().statements;
    render_template(&catalog, "acceptance", VARS, &TemplateDeployOptions::new()).unwrap();
    assert!(catalog.stats().statements - before <= 3);
}

#[test]
fn colliding_paths_are_an_error_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(dir.path().join("catalog.db")).unwrap();
    let a = key("rule_file:a");
    let b = key("rule_file:b");
    catalog
        .put_artifact(&NewArtifact::new(a.clone()).file("rules/API.md", "a"))
        .unwrap();
    catalog
        .put_artifact(&NewArtifact::new(b.clone()).file("rules/api.md", "b"))
        .unwrap();
    catalog
        .create_template(&TemplateSpec::new("t").entity(a, true).entity(b, true))
        .unwrap();
    let err = render_template(&catalog, "t", VARS, &TemplateDeployOptions::new()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("rules/API.md") && msg.contains("rules/api.md"),
        "{msg}"
    );
}
