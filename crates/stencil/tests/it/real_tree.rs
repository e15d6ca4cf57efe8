//! Issue 8 through the library: a realistic `.claude/` tree — a skill with
//! a Python script full of f-string braces, HTML with `{{ user.name }}` and
//! `{{message}}`, brace-heavy JS, a GitHub workflow with `${{ github.ref }}`,
//! binary data with NUL bytes, a CRLF file, invalid UTF-8 without a
//! trailing newline, executable scripts and a symlink pointing outside the
//! tree — imported with [`stencil::import`] and deployed with
//! [`stencil::deploy_template`].
//!
//! The text files live in the workspace's `testdata/real-tree/` (shared
//! with the CLI's tests); what git does not
//! hold well (binary, CRLF, symlink, modes) is made at test time.
// Unix only: the fixture needs permission bits and a symbolic link,
// which Windows (and Wine) cannot give it.
#![cfg(unix)]

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use stencil::import::{
    ImportError, ImportEvent, ImportOptions, SkipReason, Skipped, TreeImportReport, import_tree,
    scan_tree,
};
use stencil::store::{ArtifactKey, Catalog, NewArtifact, NewFile, TemplateSpec};
use stencil::{Error, FilePart, TemplateDeployOptions, TemplateDeployReport, deploy_template};

use crate::support::{copy_tree, files_under};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const SKILL: &str = ".claude/skills/report";
const VARS: [(&str, &str); 2] = [("PROJECT_NAME", "rocket"), ("AUTHOR", "Ada Lovelace")];

/// A copy of the fixture tree in a temporary directory, completed with the
/// files made at test time, and a catalogue file beside it.
struct Fixture {
    dir: tempfile::TempDir,
    /// `(path inside the tree, content, executable)` of every regular file
    /// that must be imported.
    files: Vec<(String, Vec<u8>, bool)>,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/real-tree");
        let src = dir.path().join("src");
        copy_tree(&fixtures, &src);

        let mut binary: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        binary[10] = 0;
        binary[2000] = 0;
        let generated: [(String, Vec<u8>); 3] = [
            (format!("{SKILL}/assets/logo.bin"), binary),
            (
                format!("{SKILL}/notes-crlf.md"),
                b"line one for {{PROJECT_NAME}}\r\nline two\r\n".to_vec(),
            ),
            (
                ".claude/rules/no-newline.md".to_string(),
                b"no trailing newline, and invalid UTF-8: \xff\xfe".to_vec(),
            ),
        ];
        for (path, content) in &generated {
            let p = src.join(path);
            fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            fs::write(&p, content).expect("write");
        }
        fs::write(
            dir.path().join("outside-secret.txt"),
            "must never be imported\n",
        )
        .expect("write");
        symlink(
            dir.path().join("outside-secret.txt"),
            src.join(format!("{SKILL}/leak.txt")),
        )
        .expect("symlink");

        // Modes as git may not have kept them.
        let mut files = Vec::new();
        for path in files_under(&src) {
            if path == "README" {
                continue; // the fixture's own notes: not assistant configuration
            }
            let exec = path.starts_with(&format!("{SKILL}/scripts/"));
            let mode = if exec { 0o755 } else { 0o644 };
            fs::set_permissions(src.join(&path), fs::Permissions::from_mode(mode)).expect("chmod");
            let content = fs::read(src.join(&path)).expect("read");
            files.push((path, content, exec));
        }
        Fixture { dir, files }
    }

    fn src(&self) -> PathBuf {
        self.dir.path().join("src")
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn catalog(&self) -> Catalog {
        Catalog::open(self.path("catalog.db")).expect("catalogue")
    }

    fn content(&self, path: &str) -> &[u8] {
        &self
            .files
            .iter()
            .find(|(p, ..)| p == path)
            .expect("fixture file")
            .1
    }
}

/// A template `real` holding every imported artifact, the skill first.
fn template(catalog: &Catalog, report: &TreeImportReport) {
    let mut keys: Vec<ArtifactKey> = report
        .created
        .iter()
        .chain(&report.updated)
        .chain(&report.unchanged)
        .cloned()
        .collect();
    keys.sort_by_key(|k| (k.kind() != "skill", k.to_string()));
    let spec = keys
        .into_iter()
        .fold(TemplateSpec::new("real"), |spec, k| spec.entity(k, true));
    catalog.create_template(&spec).expect("template");
}

fn deploy(catalog: &Catalog, project: &Path, lenient: bool) -> Result<TemplateDeployReport, Error> {
    let options = TemplateDeployOptions::new().lenient(lenient);
    deploy_template(catalog, "real", project, VARS, &options)
}

/// Every `{{NAME}}` of `names` in `content` as `(file, line, column,
/// name)`, 1-based, the column being that of the placeholder's `{{`.
fn occurrences(file: &str, content: &[u8], names: &[&str]) -> Vec<(String, usize, usize, String)> {
    let text = String::from_utf8_lossy(content);
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        for name in names {
            for (at, _) in line.match_indices(&format!("{{{{{name}}}}}")) {
                let column = line[..at].chars().count() + 1;
                out.push((file.to_string(), n + 1, column, (*name).to_string()));
            }
        }
    }
    out
}

/// `content` rendered the way a deploy with [`VARS`] must render it.
fn rendered(content: &[u8]) -> Vec<u8> {
    let mut out = content.to_vec();
    for (name, value) in VARS {
        let needle = format!("{{{{{name}}}}}");
        let mut next = Vec::with_capacity(out.len());
        let mut rest = &out[..];
        while let Some(at) = rest
            .windows(needle.len())
            .position(|w| w == needle.as_bytes())
        {
            next.extend_from_slice(&rest[..at]);
            next.extend_from_slice(value.as_bytes());
            rest = &rest[at + needle.len()..];
        }
        next.extend_from_slice(rest);
        out = next;
    }
    out
}

fn keys(keys: &[ArtifactKey]) -> Vec<String> {
    keys.iter().map(ToString::to_string).collect()
}

#[test]
fn the_tree_maps_to_artifacts_with_modes_and_descriptions() -> TestResult {
    let fx = Fixture::new();
    let catalog = fx.catalog();
    let report = import_tree(&catalog, fx.src(), &ImportOptions::new())?;
    assert_eq!(
        keys(&report.created),
        [
            "command:ship",
            "context_file:CLAUDE.md",
            "rule_file:api",
            "rule_file:no-newline",
            "skill:report",
        ]
    );
    assert_eq!(report.roots, [".claude"]);
    assert_eq!(report.files, fx.files.len());
    let bytes: usize = fx.files.iter().map(|(_, c, _)| c.len()).sum();
    assert_eq!(report.bytes, bytes as u64);
    // Binary data is verbatim without being asked.
    assert_eq!(report.verbatim, [format!("{SKILL}/assets/logo.bin")]);

    let skill = catalog.artifact(&ArtifactKey::parse("skill:report")?)?;
    assert_eq!(skill.description, "Build a report page for a project");
    assert_eq!(skill.source.as_deref(), Some(SKILL));
    for file in &skill.files {
        let (_, content, exec) = fx
            .files
            .iter()
            .find(|(p, ..)| *p == file.path)
            .ok_or("unexpected file")?;
        assert_eq!(&file.content, content, "{}", file.path);
        assert_eq!(file.executable, *exec, "{}", file.path);
    }
    let ship = catalog.artifact(&ArtifactKey::parse("command:ship")?)?;
    assert_eq!(ship.description, "Ship a release");
    Ok(())
}

#[test]
fn strict_deploy_fails_helpfully_and_writes_nothing() -> TestResult {
    let fx = Fixture::new();
    let catalog = fx.catalog();
    let report = import_tree(&catalog, fx.src(), &ImportOptions::new())?;
    template(&catalog, &report);
    let project = fx.path("app");
    let Err(err) = deploy(&catalog, &project, false) else {
        return Err("a strict deploy of the real tree succeeded".into());
    };
    // Every unknown placeholder of the whole deploy, in one error (issue
    // 17), each naming its artifact and stored file (issue 12).
    let Error::UnknownPlaceholders {
        placeholders,
        total,
        ..
    } = &err
    else {
        return Err(format!("unexpected error: {err}").into());
    };
    let mut expected = Vec::new();
    for (path, content, _) in &fx.files {
        expected.extend(occurrences(path, content, &["NS", "message"]));
    }
    let mut found: Vec<_> = placeholders
        .iter()
        .map(|p| (p.file.clone(), p.line, p.column, p.name.clone()))
        .collect();
    found.sort();
    expected.sort();
    assert_eq!(found, expected, "{err}");
    assert_eq!(*total, expected.len());
    for p in placeholders {
        assert_eq!(p.artifact, "skill:report", "{err}");
        assert_eq!(p.stored_path, p.file, "{err}");
        assert_eq!(p.part, FilePart::Content, "{err}");
    }
    let message = err.to_string();
    let gen_py = format!("{SKILL}/scripts/gen.py");
    for needle in [
        "4 unknown placeholders:".to_string(),
        format!("{gen_py}: "),
        "`{{NS}}`".to_string(),
        "`{{message}}`".to_string(),
    ] {
        assert!(message.contains(&needle), "`{needle}` not in: {message}");
    }
    // Facts only: what to do is the CLI's to say.
    assert!(!message.contains("leniently"), "{message}");
    assert!(!project.exists(), "a failed deploy created the project");
    Ok(())
}

#[test]
fn lenient_deploy_reports_exactly_the_placeholders_left() -> TestResult {
    let fx = Fixture::new();
    let catalog = fx.catalog();
    let report = import_tree(&catalog, fx.src(), &ImportOptions::new())?;
    template(&catalog, &report);
    let project = fx.path("app");
    let report = deploy(&catalog, &project, true)?;

    let mut expected = Vec::new();
    for (path, content, _) in &fx.files {
        // `{{ user.name }}`, `${{ github.ref }}` and the JS braces are not
        // placeholders; `{{NS}}` inside `{{{NS}}}` and `{{message}}` are.
        expected.extend(occurrences(path, content, &["NS", "message"]));
    }
    assert_eq!(expected.len(), 4, "the fixture changed: {expected:?}");
    let mut left: Vec<_> = report
        .left
        .iter()
        .map(|(path, p)| (path.to_string(), p.line, p.column, p.name.clone()))
        .collect();
    left.sort();
    expected.sort();
    assert_eq!(left, expected);
    assert!(report.summary().contains("4 unknown placeholders left"));

    // What was left is in the deployed files exactly as it was.
    for path in [
        format!("{SKILL}/scripts/gen.py"),
        format!("{SKILL}/templates/page.html"),
    ] {
        assert_eq!(fs::read(project.join(&path))?, fx.content(&path), "{path}");
    }
    Ok(())
}

#[test]
fn files_marked_verbatim_at_import_make_strict_succeed() -> TestResult {
    let fx = Fixture::new();
    let catalog = fx.catalog();
    let options = ImportOptions::new()
        .verbatim("*.py")
        .verbatim("**/templates/**");
    let report = import_tree(&catalog, fx.src(), &options)?;
    assert_eq!(
        report.verbatim,
        [
            format!("{SKILL}/assets/logo.bin"),
            format!("{SKILL}/scripts/gen.py"),
            format!("{SKILL}/templates/page.html"),
        ]
    );
    template(&catalog, &report);
    let deployed = deploy(&catalog, &fx.path("app"), false)?;
    assert!(deployed.left.is_empty());
    let verbatim: Vec<String> = deployed
        .files
        .iter()
        .filter(|f| f.verbatim)
        .map(|f| f.path.to_string())
        .collect();
    assert_eq!(verbatim, report.verbatim);
    Ok(())
}

#[test]
fn files_marked_verbatim_in_the_catalogue_make_strict_succeed_and_survive_reimport() -> TestResult {
    let fx = Fixture::new();
    let catalog = fx.catalog();
    let report = import_tree(&catalog, fx.src(), &ImportOptions::new())?;
    template(&catalog, &report);

    // Later, on the artifact in the catalogue.
    let key = ArtifactKey::parse("skill:report")?;
    let stored = catalog.artifact(&key)?;
    let mut marked = NewArtifact::new(key.clone()).description(stored.description.clone());
    marked.source = stored.source.clone();
    for f in &stored.files {
        marked = marked.with_file(
            NewFile::new(f.path.clone(), f.content.clone())
                .executable(f.executable)
                .verbatim(f.verbatim || f.path.ends_with(".py") || f.path.ends_with(".html")),
        );
    }
    catalog.put_artifact(&marked)?;
    deploy(&catalog, &fx.path("app"), false)?;

    // A re-import of the unchanged tree keeps the marks and writes nothing.
    let again = import_tree(&catalog, fx.src(), &ImportOptions::new())?;
    assert!(again.wrote_nothing(), "{again:?}");
    assert!(again.verbatim.contains(&format!("{SKILL}/scripts/gen.py")));
    deploy(&catalog, &fx.path("app2"), false)?;
    Ok(())
}

#[test]
fn deployed_files_are_byte_identical_and_keep_their_modes() -> TestResult {
    let fx = Fixture::new();
    let catalog = fx.catalog();
    let options = ImportOptions::new().verbatim("*.py").verbatim("*.html");
    let report = import_tree(&catalog, fx.src(), &options)?;
    template(&catalog, &report);
    let project = fx.path("app");
    deploy(&catalog, &project, false)?;

    let expected: Vec<&str> = fx.files.iter().map(|(p, ..)| p.as_str()).collect();
    assert_eq!(files_under(&project), expected);
    for (path, content, exec) in &fx.files {
        let deployed = project.join(path);
        let got = fs::read(&deployed)?;
        let want = if report.verbatim.contains(path) {
            content.clone()
        } else {
            rendered(content)
        };
        assert_eq!(got, want, "{path} changed");
        let mode = fs::metadata(&deployed)?.permissions().mode();
        assert_eq!(mode & 0o111 != 0, *exec, "{path} has mode {mode:o}");
    }
    // Placeholders were replaced where they should be, nowhere else.
    assert_eq!(
        fs::read(project.join("CLAUDE.md"))?,
        b"# rocket\n\nMaintained by Ada Lovelace. Skills live in `.claude/skills/`.\n"
    );
    assert_eq!(
        fs::read(project.join(format!("{SKILL}/notes-crlf.md")))?,
        b"line one for rocket\r\nline two\r\n"
    );
    // A deployed executable runs.
    let out = Command::new(project.join(format!("{SKILL}/scripts/run.sh"))).output()?;
    assert_eq!(out.stdout, b"ran-ok\n");
    Ok(())
}

#[test]
fn symlinks_are_listed_and_never_followed() -> TestResult {
    let fx = Fixture::new();
    // A symlinked root folder pointing outside the tree, too.
    let elsewhere = fx.path("elsewhere/.codex/rules");
    fs::create_dir_all(&elsewhere)?;
    fs::write(elsewhere.join("secret.md"), "must never be imported\n")?;
    symlink(fx.path("elsewhere/.codex"), fx.src().join(".codex"))?;

    let catalog = fx.catalog();
    let report = import_tree(&catalog, fx.src(), &ImportOptions::new())?;
    let skipped = |path: &str| Skipped {
        path: path.to_string(),
        reason: SkipReason::Symlink,
    };
    assert_eq!(
        report.skipped,
        [skipped(&format!("{SKILL}/leak.txt")), skipped(".codex")]
    );
    assert_eq!(report.roots, [".claude"]);
    assert_eq!(report.files, fx.files.len());
    let skill = catalog.artifact(&ArtifactKey::parse("skill:report")?)?;
    assert!(!skill.files.iter().any(|f| f.path.contains("leak")));
    for key in report.created.iter() {
        for f in catalog.artifact(key)?.files {
            assert!(
                !f.content.starts_with(b"must never be imported"),
                "{} holds the outside file",
                f.path
            );
        }
    }

    template(&catalog, &report);
    let project = fx.path("app");
    deploy(&catalog, &project, true)?;
    let deployed = files_under(&project);
    assert!(!deployed.iter().any(|p| p.contains("leak")), "{deployed:?}");
    Ok(())
}

#[test]
fn reimport_is_a_no_op_and_a_change_is_one_new_version() -> TestResult {
    let fx = Fixture::new();
    let catalog = fx.catalog();
    let first = import_tree(&catalog, fx.src(), &ImportOptions::new())?;
    assert!(first.changed() && !first.wrote_nothing());
    let all = keys(&first.created);
    let stamp = |catalog: &Catalog| -> Result<Vec<(u32, i64)>, stencil::store::Error> {
        first
            .created
            .iter()
            .map(|k| catalog.artifact(k).map(|a| (a.version, a.updated_ms)))
            .collect()
    };
    let before = stamp(&catalog)?;
    // Closing checkpoints the WAL into the database file.
    drop(catalog);
    let db_before = fs::read(fx.path("catalog.db"))?;

    let catalog = fx.catalog();
    let again = import_tree(&catalog, fx.src(), &ImportOptions::new())?;
    assert!(!again.changed());
    assert!(again.wrote_nothing());
    assert!(again.created.is_empty() && again.updated.is_empty());
    assert_eq!(keys(&again.unchanged), all);
    assert!(
        again.summary().contains("nothing written"),
        "{}",
        again.summary()
    );
    assert_eq!(stamp(&catalog)?, before);
    drop(catalog);
    // Not a byte of the catalogue changed.
    assert!(
        fs::read(fx.path("catalog.db"))? == db_before,
        "the re-import changed the catalogue file"
    );

    // A changed file: a new version of its artifact, and of no other.
    let catalog = fx.catalog();
    fs::write(
        fx.src().join(format!("{SKILL}/scripts/gen.py")),
        "print('changed')\n",
    )?;
    let third = import_tree(&catalog, fx.src(), &ImportOptions::new())?;
    assert_eq!(keys(&third.updated), ["skill:report"]);
    assert!(third.created.is_empty());
    assert_eq!(third.unchanged.len(), all.len() - 1);
    for key in &first.created {
        let versions = catalog.versions(key)?;
        let want = if key.to_string() == "skill:report" {
            2
        } else {
            1
        };
        assert_eq!(versions.len(), want, "{key}: {versions:?}");
    }
    // The executable bit kept its place in the new version.
    let skill = catalog.artifact(&ArtifactKey::parse("skill:report")?)?;
    let gen_py = skill
        .files
        .iter()
        .find(|f| f.path.ends_with("gen.py"))
        .ok_or("gen.py")?;
    assert!(gen_py.executable);
    assert_eq!(gen_py.content, b"print('changed')\n");
    Ok(())
}

#[test]
fn a_collection_is_filled_and_tags_survive_reimport() -> TestResult {
    let fx = Fixture::new();
    let catalog = fx.catalog();
    let options = ImportOptions::new().collection("real");
    let first = import_tree(&catalog, fx.src(), &options)?;
    let c = first.collection.as_ref().ok_or("collection")?;
    assert!(c.created);
    assert_eq!((c.added, c.artifact_count), (5, 5));

    let skill = ArtifactKey::parse("skill:report")?;
    catalog.add_tags(&skill, &["reports"])?;
    let again = import_tree(&catalog, fx.src(), &options)?;
    assert!(again.wrote_nothing(), "{again:?}");
    let c = again.collection.as_ref().ok_or("collection")?;
    assert!(!c.created);
    assert_eq!((c.added, c.artifact_count), (0, 5));
    assert_eq!(catalog.artifact(&skill)?.tags, ["reports"]);
    Ok(())
}

#[test]
fn bad_trees_fail_naming_the_path_and_store_nothing() -> TestResult {
    let fx = Fixture::new();
    let catalog = fx.catalog();
    let opts = ImportOptions::new();

    let missing = fx.path("missing");
    match import_tree(&catalog, &missing, &opts) {
        Err(ImportError::Read { what, path, .. }) => {
            assert_eq!((what, path), ("directory", missing));
        }
        other => return Err(format!("unexpected: {other:?}").into()),
    }
    match import_tree(&catalog, fx.path("outside-secret.txt"), &opts) {
        Err(e @ ImportError::NotADirectory { .. }) => {
            assert!(e.to_string().contains("outside-secret.txt"), "{e}");
        }
        other => return Err(format!("unexpected: {other:?}").into()),
    }
    fs::create_dir_all(fx.path("plain"))?;
    assert!(matches!(
        import_tree(&catalog, fx.path("plain"), &opts),
        Err(ImportError::NoRoot { .. })
    ));
    let bad_glob = ImportOptions::new().verbatim("a[b");
    match scan_tree(fx.src(), &bad_glob) {
        Err(e @ ImportError::Glob { .. }) => assert!(e.to_string().contains("`a[b`"), "{e}"),
        other => return Err(format!("unexpected: {other:?}").into()),
    }

    // Two roots mapping to one artifact: refused before anything is stored.
    fs::create_dir_all(fx.src().join(".codex/rules"))?;
    fs::write(fx.src().join(".codex/rules/api.md"), "other\n")?;
    let err = import_tree(&catalog, fx.src(), &opts)
        .err()
        .ok_or("imported")?;
    assert!(
        matches!(&err, ImportError::Collision { artifact, .. } if artifact == "rule_file:api"),
        "{err}"
    );
    fs::remove_dir_all(fx.src().join(".codex"))?;

    // A bad collection name: nothing imported.
    let err = import_tree(
        &catalog,
        fx.src(),
        &ImportOptions::new().collection(" padded"),
    )
    .err()
    .ok_or("imported")?;
    assert!(matches!(err, ImportError::Collection { .. }), "{err}");
    assert!(err.to_string().contains("nothing was imported"), "{err}");

    // An unreadable file is an error naming it (not testable as root).
    let secret = fx.src().join(".claude/rules/api.md");
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o000))?;
    if fs::read(&secret).is_err() {
        match import_tree(&catalog, fx.src(), &opts) {
            Err(ImportError::Read { what, path, .. }) => {
                assert_eq!((what, path), ("file", secret.clone()));
            }
            other => return Err(format!("unexpected: {other:?}").into()),
        }
    }
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o644))?;

    let page = catalog.list_artifacts(&Default::default())?;
    assert!(page.items.is_empty(), "something was stored");

    // The facade's error type takes an import error with `?`.
    let via_facade = || -> Result<(), Error> {
        import_tree(&catalog, fx.path("plain"), &ImportOptions::new())?;
        Ok(())
    };
    assert!(matches!(
        via_facade(),
        Err(Error::Import(ImportError::NoRoot { .. }))
    ));
    Ok(())
}

#[test]
fn the_observer_sees_every_file_and_the_store() -> TestResult {
    let fx = Fixture::new();
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let options = ImportOptions::new().observer(move |event: &ImportEvent<'_>| {
        let line = match event {
            ImportEvent::Found { files } => format!("found {files}"),
            ImportEvent::Read { done, total, .. } => format!("read {done}/{total}"),
            ImportEvent::Storing { artifacts } => format!("storing {artifacts}"),
            ImportEvent::Stored => "stored".to_string(),
            _ => "other".to_string(),
        };
        sink.lock().expect("lock").push(line);
    });
    import_tree(&fx.catalog(), fx.src(), &options)?;
    let events = events.lock().map_err(|_| "poisoned")?.clone();
    let n = fx.files.len();
    let mut want = vec![format!("found {n}")];
    want.extend((1..=n).map(|i| format!("read {i}/{n}")));
    want.extend(["storing 5".to_string(), "stored".to_string()]);
    assert_eq!(events, want);
    Ok(())
}
