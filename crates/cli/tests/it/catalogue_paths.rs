//! What the catalogue path may be: read commands and `deploy` never create
//! or change one, and work from a catalogue on a read-only path.

use std::fs;
use std::path::Path;

use crate::common::{Env, TestResult, files_under};

const READS: [&[&str]; 4] = [
    &["template", "list"],
    &["artifact", "list"],
    &["collection", "list"],
    &[
        "deploy",
        "svc",
        "app",
        "--var",
        "PROJECT_NAME=rocket",
        "--var",
        "AUTHOR=me",
    ],
];

#[test]
fn read_commands_refuse_an_empty_file_and_leave_it_empty() -> TestResult {
    let env = Env::new();
    fs::write(&env.catalog, "")?;
    let before = files_under(env.dir.path());
    for args in READS {
        env.run(args)
            .fails_with(&["not a stencil catalogue", "empty file"]);
        assert_eq!(fs::metadata(&env.catalog)?.len(), 0, "{args:?}");
        assert_eq!(files_under(env.dir.path()), before, "{args:?}");
    }
    Ok(())
}

#[test]
#[cfg(unix)]
fn read_commands_refuse_a_device() {
    let env = Env::new();
    for args in READS {
        let mut full = vec!["--catalog", "/dev/null"];
        full.extend(args);
        env.run_bare(&full, &[])
            .fails_with(&["not a stencil catalogue", "not a regular file"]);
    }
    assert_eq!(fs::metadata("/dev/null").map(|m| m.len()).ok(), Some(0));
}

/// Makes a directory unwritable (`chmod 555`, or `chattr +i` when running
/// privileged) until dropped.
#[cfg_attr(not(unix), allow(dead_code))]
struct Locked<'a>(&'a Path, bool);

impl<'a> Locked<'a> {
    #[cfg(unix)]
    fn new(dir: &'a Path) -> Locked<'a> {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o555)).unwrap();
        let probe = dir.join(".probe");
        if fs::write(&probe, "").is_err() {
            return Locked(dir, false);
        }
        fs::remove_file(probe).unwrap();
        let ok = std::process::Command::new("chattr")
            .arg("+i")
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "privileged and cannot make {} read-only", dir.display());
        Locked(dir, true)
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        if self.1 {
            let _ = std::process::Command::new("chattr")
                .arg("-i")
                .arg(self.0)
                .status();
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = fs::set_permissions(self.0, fs::Permissions::from_mode(0o755));
        }
    }
}

#[test]
#[cfg(unix)]
fn a_catalogue_on_a_read_only_path_serves_reads_and_deploy() -> TestResult {
    let env = Env::new();
    let shelf = env.path("shelf");
    fs::create_dir(&shelf)?;
    let catalog = shelf.join("catalog.db");
    let src = env.small_tree();
    let cat = catalog.to_str().ok_or("path")?;
    let run = |args: &[&str]| {
        let mut full = vec!["--catalog", cat];
        full.extend(args);
        env.run_bare(&full, &[])
    };
    run(&["import", src.to_str().ok_or("path")?, "--collection", "all"]).ok();
    run(&["template", "create", "svc", "--collection", "all"]).ok();
    let before = files_under(&shelf);
    let _locked = Locked::new(&shelf);
    for args in READS {
        run(args).ok();
    }
    run(&["template", "show", "svc"]).ok();
    assert!(env.path("app/CLAUDE.md").exists());
    run(&["collection", "create", "more"]).fails_with(&["read-only"]);
    assert_eq!(files_under(&shelf), before);
    Ok(())
}
