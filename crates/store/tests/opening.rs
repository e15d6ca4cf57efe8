//! Opening a catalogue file: a refused file is left byte for byte as it was,
//! opening without `create` never makes one, a read-only path still reads,
//! and many connections creating one new catalogue at once all succeed.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};

use common::{artifact, key};
use rusqlite::Connection;
use stencil_store::{
    ArtifactQuery, Catalog, CatalogTarget, Error, NewArtifact, TemplateSpec, VariableDecl,
};

/// Every file in `dir` with its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let bytes = fs::read(&p).unwrap_or_default();
            (p, bytes)
        })
        .collect();
    out.sort();
    out
}

fn assert_not_a_catalogue(err: &Error, says: &str) {
    assert!(matches!(err, Error::NotACatalogue { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("not a stencil catalogue"), "{text}");
    assert!(text.contains(says), "{text}");
}

#[test]
fn another_applications_database_is_refused_before_anything_writes_to_it() {
    // (application_id, schema): another application's id, with and without
    // tables, and no id but tables. Rollback-journal files, so a switch to
    // WAL would change header bytes 18–19.
    for (app, sql) in [
        (
            0x1234_5678,
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);",
        ),
        (0x1234_5678, ""),
        (0, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        {
            let raw = Connection::open(&path).unwrap();
            raw.pragma_update(None, "application_id", app).unwrap();
            raw.execute_batch(sql).unwrap();
            raw.execute_batch("PRAGMA user_version = 7;").unwrap();
        }
        let before = snapshot(dir.path());
        for create in [true, false] {
            let err = Catalog::builder().create(create).open(&path).unwrap_err();
            assert_eq!(snapshot(dir.path()), before, "app {app:#x} {sql:?}");
            assert_not_a_catalogue(&err, "another application");
        }
    }
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    fs::write(
        &path,
        "not a database, but more than a SQLite header's hundred bytes ".repeat(4),
    )
    .unwrap();
    let before = snapshot(dir.path());
    let err = Catalog::open(&path).unwrap_err();
    assert_eq!(snapshot(dir.path()), before);
    assert_not_a_catalogue(&err, "not a SQLite database");
}

#[test]
fn opening_without_create_never_creates_a_catalogue() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    let err = Catalog::builder().create(false).open(&missing).unwrap_err();
    assert_not_a_catalogue(&err, "does not exist");
    assert!(snapshot(dir.path()).is_empty(), "nothing may be created");

    let empty = dir.path().join("empty.db");
    fs::write(&empty, "").unwrap();
    let err = Catalog::builder().create(false).open(&empty).unwrap_err();
    assert_not_a_catalogue(&err, "empty file");
    assert_eq!(snapshot(dir.path()), vec![(empty.clone(), Vec::new())]);

    // With `create` (init, import) the empty file becomes a catalogue.
    Catalog::open(&empty).unwrap();
    assert!(fs::metadata(&empty).unwrap().len() > 0);
}

#[test]
fn a_directory_or_device_is_refused_whether_or_not_creating() {
    let dir = tempfile::tempdir().unwrap();
    for create in [true, false] {
        let err = Catalog::builder()
            .create(create)
            .open(dir.path())
            .unwrap_err();
        assert_not_a_catalogue(&err, "directory");
        #[cfg(unix)]
        {
            let err = Catalog::builder()
                .create(create)
                .open("/dev/null")
                .unwrap_err();
            assert_not_a_catalogue(&err, "not a regular file");
        }
    }
    assert!(snapshot(dir.path()).is_empty());
    #[cfg(unix)]
    assert_eq!(fs::metadata("/dev/null").unwrap().len(), 0);
}

/// Makes `path` unwritable for the length of a test: `chmod a-w`, and
/// where that is not enough (running as root) `chattr +i`.
struct Unwritable(PathBuf, bool);

impl Unwritable {
    #[cfg(unix)]
    fn new(path: &Path) -> Unwritable {
        use std::os::unix::fs::PermissionsExt;
        let mode = if path.is_dir() { 0o555 } else { 0o444 };
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
        let writable = if path.is_dir() {
            let probe = path.join(".probe");
            let ok = fs::write(&probe, "").is_ok();
            let _ = fs::remove_file(probe);
            ok
        } else {
            fs::OpenOptions::new().append(true).open(path).is_ok()
        };
        if !writable {
            return Unwritable(path.to_path_buf(), false);
        }
        let ok = std::process::Command::new("chattr")
            .arg("+i")
            .arg(path)
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "running privileged and cannot make {} read-only",
            path.display()
        );
        Unwritable(path.to_path_buf(), true)
    }
}

impl Drop for Unwritable {
    fn drop(&mut self) {
        if self.1 {
            let _ = std::process::Command::new("chattr")
                .arg("-i")
                .arg(&self.0)
                .status();
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = fs::set_permissions(&self.0, fs::Permissions::from_mode(0o755));
        }
    }
}

/// A closed catalogue with one of everything, at `dir/catalog.db`.
fn shipped_catalogue(dir: &Path) -> PathBuf {
    let path = dir.join("catalog.db");
    let c = Catalog::open(&path).unwrap();
    let a = artifact("skill", "review").tag("quality");
    c.put_artifact(&a).unwrap();
    c.create_collection("starter", "").unwrap();
    c.create_group("starter", "core", 0).unwrap();
    c.add_to_group("starter", "core", std::slice::from_ref(&a.key))
        .unwrap();
    c.create_template(
        &TemplateSpec::new("svc")
            .collection("starter")
            .entity(a.key.clone(), true)
            .variable(VariableDecl::required("PROJECT")),
    )
    .unwrap();
    drop(c);
    path
}

/// Every read works on `c`, and every kind of write is `Error::ReadOnly`.
fn reads_work_and_writes_are_read_only(c: &Catalog) {
    let review = key("skill", "review");
    assert!(c.is_read_only());
    let page = c
        .list_artifacts(&ArtifactQuery::new().tag("quality"))
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].collections[0].artifact_count, 1);
    assert_eq!(c.facets(&ArtifactQuery::new()).unwrap().total, 1);
    assert_eq!(c.tag_counts().unwrap().len(), 1);
    assert_eq!(c.list_collections(10, None).unwrap().items.len(), 1);
    assert_eq!(c.collection("starter").unwrap().groups.len(), 1);
    assert_eq!(c.collection_artifact_count("starter").unwrap(), 1);
    assert_eq!(c.list_templates().unwrap().len(), 1);
    assert_eq!(c.load_template("svc").unwrap().entities.len(), 1);
    assert_eq!(c.artifact(&review).unwrap().tags, ["quality"]);
    assert_eq!(c.versions(&review).unwrap().len(), 1);
    assert!(c.verify_counts().unwrap().is_empty());

    let writes: Vec<(&str, Error)> = vec![
        (
            "put",
            c.put_artifact(&NewArtifact::new(key("skill", "new")).file("a.md", "x"))
                .unwrap_err(),
        ),
        ("collection", c.create_collection("more", "").unwrap_err()),
        ("tags", c.add_tags(&review, &["x"]).unwrap_err()),
        ("template", c.delete_template("svc").unwrap_err()),
        ("recount", c.recount().unwrap_err()),
    ];
    for (what, err) in writes {
        assert!(matches!(err, Error::ReadOnly { .. }), "{what}: {err:?}");
        assert!(err.to_string().contains("is read-only"), "{what}: {err}");
    }
}

#[test]
#[cfg(unix)]
fn a_catalogue_on_a_read_only_file_reads_and_refuses_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = shipped_catalogue(dir.path());
    let bytes = fs::read(&path).unwrap();
    let _guard = Unwritable::new(&path);
    for create in [true, false] {
        let c = Catalog::builder().create(create).open(&path).unwrap();
        reads_work_and_writes_are_read_only(&c);
        // Another handle for another thread opens read-only as well.
        assert!(c.try_clone().unwrap().is_read_only());
    }
    assert_eq!(fs::read(&path).unwrap(), bytes);
}

#[test]
#[cfg(unix)]
fn a_catalogue_in_a_read_only_directory_reads_and_refuses_writes() {
    let outer = tempfile::tempdir().unwrap();
    let dir = outer.path().join("image");
    fs::create_dir(&dir).unwrap();
    let path = shipped_catalogue(&dir);
    let before = snapshot(&dir);
    // No `-wal` or `-shm` beside it (a clean close removed them), and none
    // can be created: the case of a catalogue shipped in an image.
    assert_eq!(before.len(), 1, "{before:?}");
    let _guard = Unwritable::new(&dir);
    let c = Catalog::builder().create(false).open(&path).unwrap();
    reads_work_and_writes_are_read_only(&c);
    drop(c);
    let c = Catalog::open_target(&CatalogTarget::sqlite(&path)).unwrap();
    reads_work_and_writes_are_read_only(&c);
    drop(c);
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn many_connections_creating_one_new_catalogue_all_succeed() {
    const ROUNDS: usize = 40;
    const OPENERS: usize = 6;
    let mut failures = Vec::new();
    for round in 0..ROUNDS {
        let dir = tempfile::tempdir().unwrap();
        let path = Arc::new(dir.path().join("new.db"));
        let start = Arc::new(Barrier::new(OPENERS));
        let openers: Vec<_> = (0..OPENERS)
            .map(|i| {
                let (path, start) = (Arc::clone(&path), Arc::clone(&start));
                std::thread::spawn(move || -> Result<(), Error> {
                    start.wait();
                    // `init`, or `import` of one artifact: its own connection.
                    let c = Catalog::open(&*path)?;
                    if i % 2 == 1 {
                        c.put_artifact(&artifact("skill", &format!("a{i}")))?;
                    }
                    Ok(())
                })
            })
            .collect();
        for (i, t) in openers.into_iter().enumerate() {
            if let Err(e) = t.join().unwrap() {
                failures.push(format!("round {round}, opener {i}: {e}"));
            }
        }
        let c = Catalog::open(&*path).unwrap();
        let stored = c.list_artifacts(&ArtifactQuery::new()).unwrap().items.len();
        assert!(
            !failures.is_empty() || stored == OPENERS / 2,
            "round {round}"
        );
    }
    assert!(
        failures.is_empty(),
        "{} failures: {failures:#?}",
        failures.len()
    );
}
