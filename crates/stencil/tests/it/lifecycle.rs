//! The deployed-project lifecycle through the library: the record every
//! deploy writes, `status`, `diff`, `update` (one test per row of the
//! table, and the cases around it), `undeploy`, and multi-template deploys.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use stencil::deploy::{DeployOptions, OverwritePolicy};
use stencil::lifecycle::{
    Conflict, ConflictMode, DiffOptions, FileDiff, FileState, Origin, UndeployOptions,
    UpdateAction, UpdateOptions, Upstream, UpstreamChange, deploy_templates, diff, read_record,
    status, undeploy, update, upstream_diff,
};
use stencil::store::{ArtifactKey, Catalog, NewArtifact, TemplateSpec, VariableDecl};
use stencil::{Error, TemplateDeployOptions, deploy_template};

const VARS: [(&str, &str); 1] = [("PROJECT_NAME", "rocket")];

/// A catalogue on disk with template `t` made of one artifact `skill:s`.
struct Fx {
    dir: tempfile::TempDir,
    catalog: Catalog,
    project: PathBuf,
}

fn key() -> ArtifactKey {
    ArtifactKey::parse("skill:s").unwrap()
}

fn put(catalog: &Catalog, files: &[(&str, &[u8])]) {
    let mut a = NewArtifact::new(key());
    for (path, content) in files {
        a = a.file(*path, content.to_vec());
    }
    catalog.put_artifact(&a).unwrap();
}

fn template_spec() -> TemplateSpec {
    TemplateSpec::new("t")
        .entity(key(), true)
        .variable(VariableDecl::optional("TOKEN", ""))
}

fn fixture(files: &[(&str, &[u8])]) -> Fx {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(dir.path().join("catalog.db")).unwrap();
    put(&catalog, files);
    catalog.create_template(&template_spec()).unwrap();
    let project = dir.path().join("project");
    Fx {
        dir,
        catalog,
        project,
    }
}

impl Fx {
    fn deploy(&self) {
        deploy_template(
            &self.catalog,
            "t",
            &self.project,
            VARS,
            &TemplateDeployOptions::new(),
        )
        .unwrap();
    }

    fn upstream(&self, files: &[(&str, &[u8])]) {
        put(&self.catalog, files);
    }

    fn update(&self, options: &UpdateOptions) -> stencil::lifecycle::UpdateReport {
        update(&self.catalog, &self.project, options).unwrap()
    }

    fn write(&self, path: &str, content: &[u8]) {
        fs::write(self.project.join(path), content).unwrap();
    }

    fn read(&self, path: &str) -> Vec<u8> {
        fs::read(self.project.join(path)).unwrap()
    }
}

/// Every file under `root`, `.stencil/` included, with its bytes.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, root, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

const DOC: &[u8] = b"# {{PROJECT_NAME}}\none\ntwo\nthree\nfour\nfive\nsix\n";

// ------------------------------------------------------------- the record

#[test]
fn every_deploy_writes_a_sorted_stable_record_with_the_files() {
    let fx = fixture(&[("z.md", b"z {{PROJECT_NAME}}\n"), ("a/doc.md", DOC)]);
    fx.deploy();
    let (record, bytes) = read_record(&fx.project, "t").unwrap().unwrap();
    assert_eq!(record.schema, 1);
    assert!(record.revision.starts_with("sha256:"));
    assert_eq!(record.variables.get("PROJECT_NAME").unwrap(), "rocket");
    let paths: Vec<&str> = record.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["a/doc.md", "z.md"]);
    let z = record.file("z.md").unwrap();
    assert_eq!(z.origin, Origin::Created);
    assert_eq!(z.size, 9);
    assert_eq!(z.sha256, stencil::lifecycle::sha256_hex(b"z rocket\n"));
    assert_eq!(z.artifact, "skill:s");
    // The base is in the store, so update never needs the old revision.
    let base = stencil::lifecycle::read_base(&fx.project, z.base.as_ref().unwrap()).unwrap();
    assert_eq!(base, b"z rocket\n");
    // Redeploying the same thing writes the same record, byte for byte.
    fx.deploy();
    let (_, again) = read_record(&fx.project, "t").unwrap().unwrap();
    assert_eq!(
        String::from_utf8(again).unwrap(),
        String::from_utf8(bytes).unwrap()
    );
}

#[test]
fn a_failed_deploy_writes_no_record_and_leaves_the_tree_as_it_was() {
    let fx = fixture(&[("a.md", b"new\n"), ("b.md", b"new\n")]);
    fs::create_dir_all(&fx.project).unwrap();
    fx.write("b.md", b"mine\n");
    let before = tree(&fx.project);
    let options = TemplateDeployOptions::new()
        .deploy_options(DeployOptions::new().overwrite(OverwritePolicy::Fail));
    let err = deploy_template(&fx.catalog, "t", &fx.project, VARS, &options).unwrap_err();
    assert!(matches!(err, Error::Deploy(_)), "{err}");
    assert_eq!(tree(&fx.project), before);
}

/// `Fail` refuses any existing file, also one that already holds exactly
/// the rendered bytes (it was adopted silently before the fix).
#[test]
fn the_fail_policy_refuses_even_an_identical_existing_file() {
    let fx = fixture(&[("a.md", b"same\n")]);
    fs::create_dir_all(&fx.project).unwrap();
    fx.write("a.md", b"same\n");
    let before = tree(&fx.project);
    let options = TemplateDeployOptions::new()
        .deploy_options(DeployOptions::new().overwrite(OverwritePolicy::Fail));
    let err = deploy_template(&fx.catalog, "t", &fx.project, VARS, &options).unwrap_err();
    assert!(err.to_string().contains("already exist"), "{err}");
    assert_eq!(tree(&fx.project), before);
}

#[test]
fn a_redeploy_says_which_skipped_files_are_identical() {
    let fx = fixture(&[("a.md", b"a\n"), ("b.md", b"b\n")]);
    fx.deploy();
    fx.write("b.md", b"edited\n");
    let report = deploy_template(
        &fx.catalog,
        "t",
        &fx.project,
        VARS,
        &TemplateDeployOptions::new(),
    )
    .unwrap();
    assert!(report.redeployed);
    assert_eq!(report.deploy.skipped.len(), 2);
    let identical: Vec<&str> = report
        .skipped_identical
        .iter()
        .map(|p| p.as_str())
        .collect();
    assert_eq!(identical, ["a.md"]);
    // The edited file keeps its recorded base: an update still sees the edit.
    fx.upstream(&[("a.md", b"a\n"), ("b.md", b"b\nupstream\n")]);
    let report = fx.update(&UpdateOptions::new());
    assert_eq!(
        report.action("b.md"),
        Some(UpdateAction::Conflict(Conflict::Markers { regions: 1 }))
    );
}

// ------------------------------------------------------------ status, diff

#[test]
fn status_reports_unchanged_modified_deleted_and_outdated_files() {
    let fx = fixture(&[("a.md", b"a\n"), ("b.md", b"b\n"), ("c.md", b"c\n")]);
    fx.deploy();
    let clean = status(&fx.project, Some(&fx.catalog)).unwrap();
    assert!(clean.is_clean());
    assert_eq!(clean.deployments[0].upstream, Upstream::Current);

    fx.write("b.md", b"edited\n");
    fs::remove_file(fx.project.join("c.md")).unwrap();
    fx.upstream(&[("a.md", b"a2\n"), ("b.md", b"b\n"), ("d.md", b"d\n")]);
    let report = status(&fx.project, Some(&fx.catalog)).unwrap();
    assert!(!report.is_clean());
    let states: Vec<(&str, FileState)> = report.deployments[0]
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.state))
        .collect();
    assert_eq!(
        states,
        [
            ("a.md", FileState::Unchanged),
            ("b.md", FileState::Modified),
            ("c.md", FileState::Deleted)
        ]
    );
    let Upstream::Outdated {
        changes: Some(changes),
        ..
    } = &report.deployments[0].upstream
    else {
        panic!("{:?}", report.deployments[0].upstream)
    };
    assert_eq!(
        changes,
        &[
            ("a.md".to_string(), UpstreamChange::Changed),
            ("c.md".to_string(), UpstreamChange::Removed),
            ("d.md".to_string(), UpstreamChange::Added)
        ]
    );
    // Without a catalogue, only the disk is compared.
    let local = status(&fx.project, None).unwrap();
    assert_eq!(local.deployments[0].upstream, Upstream::NotChecked);
    assert_eq!(local.count(FileState::Modified), 1);
}

#[test]
fn diff_shows_the_users_edits_and_what_an_update_would_bring() {
    let fx = fixture(&[("doc.md", DOC), ("logo.bin", b"\0PNG\x01\x02")]);
    fx.deploy();
    fx.write("doc.md", b"# rocket\none\nTWO\nthree\nfour\nfive\nsix\n");
    fx.write("logo.bin", b"\0PNG\x09");
    let local = diff(&fx.project, &DiffOptions::new()).unwrap();
    assert_eq!(local.entries.len(), 2);
    let FileDiff::Text(patch) = &local.entries[0].diff else {
        panic!("{:?}", local.entries[0])
    };
    let patch = String::from_utf8(patch.clone()).unwrap();
    assert!(patch.contains("--- a/doc.md\n+++ b/doc.md\n"), "{patch}");
    assert!(patch.contains("-two\n+TWO\n"), "{patch}");
    assert_eq!(local.entries[1].diff, FileDiff::Binary);
    // Only the paths asked for.
    let only = diff(&fx.project, &DiffOptions::new().paths(["logo.bin"])).unwrap();
    assert_eq!(only.entries.len(), 1);

    fx.upstream(&[
        (
            "doc.md",
            b"# {{PROJECT_NAME}}\none\ntwo\nthree\nfour\nfive\nSIX\n",
        ),
        ("logo.bin", b"\0PNG\x01\x02"),
    ]);
    let up = upstream_diff(&fx.project, &fx.catalog, &DiffOptions::new()).unwrap();
    assert_eq!(up.entries.len(), 1, "{up:?}");
    let FileDiff::Text(patch) = &up.entries[0].diff else {
        panic!()
    };
    assert!(String::from_utf8_lossy(patch).contains("-six\n+SIX\n"));
}

// -------------------------------------------------- update, row by row

#[test]
fn row_d_equals_b_writes_the_new_render() {
    let fx = fixture(&[("doc.md", DOC)]);
    fx.deploy();
    fx.upstream(&[("doc.md", b"# {{PROJECT_NAME}}\nnew\n")]);
    let report = fx.update(&UpdateOptions::new());
    assert_eq!(report.action("doc.md"), Some(UpdateAction::Updated));
    assert_eq!(fx.read("doc.md"), b"# rocket\nnew\n");
    assert!(status(&fx.project, Some(&fx.catalog)).unwrap().is_clean());
}

#[test]
fn row_n_equals_b_keeps_the_users_file() {
    let fx = fixture(&[("doc.md", DOC), ("other.md", b"x\n")]);
    fx.deploy();
    fx.write("doc.md", b"mine\n");
    fx.upstream(&[("doc.md", DOC), ("other.md", b"y\n")]);
    let report = fx.update(&UpdateOptions::new());
    assert_eq!(report.action("doc.md"), Some(UpdateAction::KeptLocal));
    assert_eq!(fx.read("doc.md"), b"mine\n");
}

#[test]
fn row_d_equals_n_changes_only_the_record() {
    let fx = fixture(&[("doc.md", DOC)]);
    fx.deploy();
    fx.write("doc.md", b"# rocket\nsame\n");
    fx.upstream(&[("doc.md", b"# {{PROJECT_NAME}}\nsame\n")]);
    let report = fx.update(&UpdateOptions::new());
    assert_eq!(report.action("doc.md"), Some(UpdateAction::RecordOnly));
    let st = status(&fx.project, Some(&fx.catalog)).unwrap();
    assert!(st.is_clean(), "{st:?}");
}

#[test]
fn row_both_changed_in_different_regions_merges_cleanly() {
    let fx = fixture(&[("doc.md", DOC)]);
    fx.deploy();
    fx.write(
        "doc.md",
        b"# rocket\nONE (mine)\ntwo\nthree\nfour\nfive\nsix\n",
    );
    fx.upstream(&[(
        "doc.md",
        b"# {{PROJECT_NAME}}\none\ntwo\nthree\nfour\nfive\nsix (upstream)\n",
    )]);
    let report = fx.update(&UpdateOptions::new());
    assert_eq!(report.action("doc.md"), Some(UpdateAction::Merged));
    assert_eq!(report.conflicts, 0);
    assert_eq!(
        fx.read("doc.md"),
        b"# rocket\nONE (mine)\ntwo\nthree\nfour\nfive\nsix (upstream)\n"
    );
    // The merged file is the user's edit on top of the new base.
    let st = status(&fx.project, Some(&fx.catalog)).unwrap();
    assert_eq!(st.count(FileState::Modified), 1);
    assert_eq!(st.deployments[0].upstream, Upstream::Current);
}

fn same_line_conflict() -> Fx {
    let fx = fixture(&[("doc.md", DOC), ("plain.md", b"p\n")]);
    fx.deploy();
    fx.write("doc.md", b"# rocket\none\nmine\nthree\nfour\nfive\nsix\n");
    fx.upstream(&[
        (
            "doc.md",
            b"# {{PROJECT_NAME}}\none\ntheirs\nthree\nfour\nfive\nsix\n",
        ),
        ("plain.md", b"p2\n"),
    ]);
    fx
}

#[test]
fn row_same_line_conflict_with_markers_labelled_with_the_revision() {
    let fx = same_line_conflict();
    let report = fx.update(&UpdateOptions::new().conflict(ConflictMode::Markers));
    assert_eq!(report.conflicts, 1);
    assert_eq!(
        report.action("doc.md"),
        Some(UpdateAction::Conflict(Conflict::Markers { regions: 1 }))
    );
    let text = String::from_utf8(fx.read("doc.md")).unwrap();
    let rev = &report.to_revision[..19];
    assert_eq!(
        text,
        format!(
            "# rocket\none\n<<<<<<< project\nmine\n=======\ntheirs\n>>>>>>> template t {rev}\nthree\nfour\nfive\nsix\n"
        )
    );
    // The rest of the update applied.
    assert_eq!(fx.read("plain.md"), b"p2\n");
}

#[test]
fn row_same_line_conflict_in_rej_mode_keeps_the_file_and_writes_the_hunks_beside_it() {
    let fx = same_line_conflict();
    let report = fx.update(&UpdateOptions::new().conflict(ConflictMode::Rej));
    assert_eq!(
        report.action("doc.md"),
        Some(UpdateAction::Conflict(Conflict::Rej))
    );
    assert_eq!(
        fx.read("doc.md"),
        b"# rocket\none\nmine\nthree\nfour\nfive\nsix\n"
    );
    let rej = String::from_utf8(fx.read("doc.md.rej")).unwrap();
    assert!(rej.contains("-two\n+theirs\n"), "{rej}");
    // The change is offered again next time: the old base was kept.
    let again = fx.update(&UpdateOptions::new().conflict(ConflictMode::Rej));
    assert_eq!(
        again.action("doc.md"),
        Some(UpdateAction::Conflict(Conflict::Rej))
    );
}

#[test]
fn row_same_line_conflict_in_abort_mode_leaves_the_tree_byte_identical() {
    let fx = same_line_conflict();
    let before = tree(&fx.project);
    let report = fx.update(&UpdateOptions::new().conflict(ConflictMode::Abort));
    assert!(report.aborted);
    assert_eq!(report.conflicts, 1);
    assert!(report.deploy.is_none());
    assert_eq!(tree(&fx.project), before);
}

#[test]
fn row_a_deleted_file_stays_deleted_and_restore_brings_it_back() {
    let fx = fixture(&[("doc.md", DOC), ("gone.md", b"g\n")]);
    fx.deploy();
    fs::remove_file(fx.project.join("gone.md")).unwrap();
    fx.upstream(&[("doc.md", b"changed\n"), ("gone.md", b"g2\n")]);
    let report = fx.update(&UpdateOptions::new());
    assert_eq!(report.action("gone.md"), Some(UpdateAction::KeptDeleted));
    assert!(!fx.project.join("gone.md").exists());
    let st = status(&fx.project, None).unwrap();
    assert_eq!(st.count(FileState::KeptDeleted), 1);
    assert!(st.is_clean(), "a tombstone needs no attention");
    // Still deleted on the next update.
    fx.upstream(&[("doc.md", b"changed again\n"), ("gone.md", b"g3\n")]);
    assert_eq!(
        fx.update(&UpdateOptions::new()).action("gone.md"),
        Some(UpdateAction::KeptDeleted)
    );
    assert!(!fx.project.join("gone.md").exists());
    let report = fx.update(&UpdateOptions::new().restore(true));
    assert_eq!(report.action("gone.md"), Some(UpdateAction::Restored));
    assert_eq!(fx.read("gone.md"), b"g3\n");
}

#[test]
fn row_a_file_removed_from_the_template_is_deleted_only_if_unmodified() {
    let fx = fixture(&[
        ("keep.md", b"k\n"),
        ("sub/clean.md", b"c\n"),
        ("edited.md", b"e\n"),
    ]);
    fx.deploy();
    fx.write("edited.md", b"my notes\n");
    fx.upstream(&[("keep.md", b"k\n")]);
    let report = fx.update(&UpdateOptions::new());
    assert_eq!(report.action("sub/clean.md"), Some(UpdateAction::Removed));
    assert_eq!(report.action("edited.md"), Some(UpdateAction::KeptRemoved));
    assert!(
        !fx.project.join("sub").exists(),
        "the emptied directory goes too"
    );
    assert_eq!(fx.read("edited.md"), b"my notes\n");
    let (record, _) = read_record(&fx.project, "t").unwrap().unwrap();
    let paths: Vec<&str> = record.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["keep.md"], "both dropped from the record");
}

#[test]
fn row_a_new_file_where_an_unmanaged_file_exists_is_a_conflict_never_an_overwrite() {
    let fx = fixture(&[("doc.md", DOC)]);
    fx.deploy();
    fx.write("new.md", b"the user's own file\n");
    fx.upstream(&[("doc.md", DOC), ("new.md", b"template's\n")]);
    let report = fx.update(&UpdateOptions::new());
    assert_eq!(
        report.action("new.md"),
        Some(UpdateAction::Conflict(Conflict::Unmanaged))
    );
    assert_eq!(fx.read("new.md"), b"the user's own file\n");
}

#[test]
fn row_binary_changed_on_both_sides_conflicts_and_is_never_merged() {
    let fx = fixture(&[("logo.bin", b"\0one\ntwo\n"), ("doc.md", DOC)]);
    fx.deploy();
    fx.write("logo.bin", b"\0one\nmine\n");
    fx.upstream(&[("logo.bin", b"\0one\ntheirs\n"), ("doc.md", DOC)]);
    let report = fx.update(&UpdateOptions::new());
    assert_eq!(
        report.action("logo.bin"),
        Some(UpdateAction::Conflict(Conflict::Binary))
    );
    assert_eq!(fx.read("logo.bin"), b"\0one\nmine\n");
}

#[test]
fn crlf_files_and_files_without_a_trailing_newline_merge_without_changing_line_endings() {
    let base: &[u8] = b"a\r\nb\r\nc\r\nd\r\ne";
    let fx = fixture(&[("win.txt", base)]);
    fx.deploy();
    fx.write("win.txt", b"A\r\nb\r\nc\r\nd\r\ne");
    fx.upstream(&[("win.txt", b"a\r\nb\r\nc\r\nd\r\nE")]);
    let report = fx.update(&UpdateOptions::new());
    assert_eq!(report.action("win.txt"), Some(UpdateAction::Merged));
    assert_eq!(fx.read("win.txt"), b"A\r\nb\r\nc\r\nd\r\nE");
}

// ------------------------------------------- without the old revision

#[test]
fn update_needs_neither_the_old_revision_nor_the_same_catalogue() {
    let fx = fixture(&[("doc.md", DOC)]);
    fx.deploy();
    fx.write("doc.md", b"# rocket\nONE\ntwo\nthree\nfour\nfive\nsix\n");
    // A teammate's brand-new catalogue holding only the new revision.
    let fresh = Catalog::open(fx.dir.path().join("fresh.db")).unwrap();
    put(
        &fresh,
        &[(
            "doc.md",
            b"# {{PROJECT_NAME}}\none\ntwo\nthree\nfour\nfive\nSIX\n",
        )],
    );
    fresh.create_template(&template_spec()).unwrap();
    let Fx {
        dir,
        catalog,
        project,
    } = fx;
    drop(catalog);
    fs::remove_file(dir.path().join("catalog.db")).unwrap();
    let report = update(&fresh, &project, &UpdateOptions::new()).unwrap();
    let fx = Fx {
        catalog: fresh,
        dir,
        project,
    };
    assert_eq!(report.action("doc.md"), Some(UpdateAction::Merged));
    assert_eq!(
        fx.read("doc.md"),
        b"# rocket\nONE\ntwo\nthree\nfour\nfive\nSIX\n"
    );
    assert!(
        status(&fx.project, Some(&fx.catalog)).unwrap().deployments[0].upstream
            == Upstream::Current
    );
}

// ------------------------------------------------------------- secrets

#[test]
fn secrets_never_reach_the_record_or_the_bases_and_update_asks_for_them() {
    let fx = fixture(&[("env.md", b"token={{TOKEN}}\nname={{PROJECT_NAME}}\n")]);
    let secret = "s3cr3t-v4lue-xyz";
    let options = TemplateDeployOptions::new().secret("TOKEN", secret);
    deploy_template(&fx.catalog, "t", &fx.project, VARS, &options).unwrap();
    assert_eq!(
        fx.read("env.md"),
        format!("token={secret}\nname=rocket\n").as_bytes()
    );
    for (path, bytes) in tree(&fx.project.join(".stencil")) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(secret),
            ".stencil/{path} holds the secret"
        );
    }
    let (record, _) = read_record(&fx.project, "t").unwrap().unwrap();
    assert_eq!(record.secrets, ["TOKEN"]);
    assert!(!record.variables.contains_key("TOKEN"));

    fx.write(
        "env.md",
        format!("token={secret}\nname=rocket\nmine=1\n").as_bytes(),
    );
    fx.upstream(&[(
        "env.md",
        b"# header\ntoken={{TOKEN}}\nname={{PROJECT_NAME}}\n",
    )]);
    let err = update(&fx.catalog, &fx.project, &UpdateOptions::new()).unwrap_err();
    assert!(err.to_string().contains("--secret"), "{err}");
    let report = fx.update(&UpdateOptions::new().secret("TOKEN", secret));
    assert_eq!(report.action("env.md"), Some(UpdateAction::Merged));
    assert_eq!(
        fx.read("env.md"),
        format!("# header\ntoken={secret}\nname=rocket\nmine=1\n").as_bytes()
    );
    for (path, bytes) in tree(&fx.project.join(".stencil")) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(secret),
            ".stencil/{path}"
        );
    }
}

// --------------------------------------------------- several templates

fn second_template(catalog: &Catalog, files: &[(&str, &[u8])]) {
    let k = ArtifactKey::parse("rule_file:r").unwrap();
    let mut a = NewArtifact::new(k.clone());
    for (p, c) in files {
        a = a.file(*p, c.to_vec());
    }
    catalog.put_artifact(&a).unwrap();
    catalog
        .create_template(&TemplateSpec::new("u").entity(k, true))
        .unwrap();
}

#[test]
fn several_templates_deploy_together_each_with_its_record() {
    let fx = fixture(&[("a.md", b"a\n")]);
    second_template(&fx.catalog, &[("b.md", b"b\n")]);
    let reports = deploy_templates(
        &fx.catalog,
        &["t", "u"],
        &fx.project,
        VARS,
        &TemplateDeployOptions::new(),
    )
    .unwrap();
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[1].deploy.written.len(), 1);
    assert!(read_record(&fx.project, "t").unwrap().is_some());
    assert!(read_record(&fx.project, "u").unwrap().is_some());
    assert_eq!(status(&fx.project, None).unwrap().deployments.len(), 2);
    // An update must now name its deployment.
    let err = update(&fx.catalog, &fx.project, &UpdateOptions::new()).unwrap_err();
    assert!(err.to_string().contains("--template"), "{err}");
}

#[test]
fn a_path_claimed_by_two_templates_is_refused_before_anything_is_written() {
    let fx = fixture(&[("shared.md", b"a\n")]);
    second_template(&fx.catalog, &[("shared.md", b"b\n")]);
    let err = deploy_templates(
        &fx.catalog,
        &["t", "u"],
        &fx.project,
        VARS,
        &TemplateDeployOptions::new(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("managed by template `t`"), "{err}");
    assert!(!fx.project.exists());
    // And against a deployment already in the project.
    fx.deploy();
    let before = tree(&fx.project);
    let err = deploy_template(
        &fx.catalog,
        "u",
        &fx.project,
        VARS,
        &TemplateDeployOptions::new(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("shared.md"), "{err}");
    assert_eq!(tree(&fx.project), before);
}

// ------------------------------------------------------------ undeploy

#[test]
fn undeploy_removes_unchanged_files_keeps_modified_ones_and_prunes() {
    let fx = fixture(&[
        ("a/one.md", b"1\n"),
        ("a/b/two.md", b"2\n"),
        ("edited.md", b"e\n"),
    ]);
    fs::create_dir_all(&fx.project).unwrap();
    fs::write(fx.project.join("README.md"), "mine\n").unwrap();
    fx.deploy();
    fx.write("edited.md", b"notes\n");
    let dry = undeploy(&fx.project, &UndeployOptions::new().dry_run(true)).unwrap();
    assert_eq!(dry.removed, ["a/b/two.md", "a/one.md"]);
    assert!(fx.project.join("a/one.md").exists());

    let report = undeploy(&fx.project, &UndeployOptions::new()).unwrap();
    assert_eq!(report.removed, ["a/b/two.md", "a/one.md"]);
    assert_eq!(report.kept_modified, ["edited.md"]);
    assert!(!fx.project.join("a").exists());
    assert!(read_record(&fx.project, "t").unwrap().is_none());
    let left: Vec<String> = tree(&fx.project).into_keys().collect();
    assert_eq!(left, ["README.md", "edited.md"], "no record, no bases left");
}

#[test]
fn undeploy_with_force_removes_modified_files_too() {
    let fx = fixture(&[("edited.md", b"e\n")]);
    fx.deploy();
    fx.write("edited.md", b"notes\n");
    let report = undeploy(&fx.project, &UndeployOptions::new().force(true)).unwrap();
    assert_eq!(report.removed, ["edited.md"]);
    assert!(tree(&fx.project).is_empty());
}

/// Large projects are hashed on several threads: the states still come
/// back in path order, each for its own file.
#[test]
fn status_of_a_large_project_keeps_every_file_in_order() {
    let contents: Vec<(String, Vec<u8>)> = (0..700)
        .map(|i| {
            (
                format!("d{}/f{i:04}.md", i / 50),
                format!("file {i}\n").into_bytes(),
            )
        })
        .collect();
    let files: Vec<(&str, &[u8])> = contents
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_slice()))
        .collect();
    let fx = fixture(&files);
    fx.deploy();
    fx.write("d13/f0699.md", b"edited\n");
    fs::remove_file(fx.project.join("d0/f0000.md")).unwrap();
    let report = status(&fx.project, None).unwrap();
    let states = &report.deployments[0].files;
    assert_eq!(states.len(), 700);
    assert!(states.windows(2).all(|w| w[0].path < w[1].path));
    let state = |path: &str| states.iter().find(|f| f.path == path).unwrap().state;
    assert_eq!(states[0].path, "d0/f0000.md");
    assert_eq!(state("d0/f0000.md"), FileState::Deleted);
    assert_eq!(state("d13/f0699.md"), FileState::Modified);
    assert_eq!(report.count(FileState::Unchanged), 698);
}
