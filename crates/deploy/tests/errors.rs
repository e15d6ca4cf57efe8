//! Errors that say what happened: each operating-system failure is reported
//! as what it means (`IoFailure`), provoked for real where the machine
//! allows it. The mapping of every error number is unit-tested in `sys/unix.rs`
//! and `error.rs`; these tests check it end to end.
//!
//! Tests may run as root, who ignores permission bits: `EPERM` is provoked
//! with the immutable attribute (`chattr +i`, which needs root), and
//! `EACCES` by deploying from a child process running as `nobody` when root,
//! or directly into a read-only directory otherwise.
// Unix only: it provokes error numbers with permission bits, `chattr` and
// `setuid`; the Windows codes' mapping is unit-tested in `sys/windows.rs`.
#![cfg(unix)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use common::*;
use stencil_deploy::{DeployError, DeployOptions, IoFailure, OverwritePolicy, deploy};

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Set or clear the immutable attribute; whether it worked.
fn chattr(flag: &str, path: &Path) -> bool {
    Command::new("chattr")
        .arg(flag)
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn overwriting_an_immutable_file_says_operation_not_permitted_not_a_directory() {
    for portable in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        write(&root, "a.md", "old");
        write(&root, "b.md", "old");
        let before = snapshot(&root);
        if !chattr("+i", &root.join("b.md")) {
            assert!(!is_root(), "running as root and chattr +i failed");
            eprintln!("skipped: chattr +i needs root (CAP_LINUX_IMMUTABLE)");
            return;
        }
        let plan = plan_of(&root, &[("a.md", "new"), ("b.md", "new")]);
        let options = DeployOptions::new()
            .overwrite(OverwritePolicy::Overwrite)
            .force_portable(portable);
        let result = deploy(&plan, &options);
        chattr("-i", &root.join("b.md"));
        let err = result.unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(
                err,
                DeployError::Io {
                    kind: IoFailure::NotPermitted,
                    ..
                }
            ),
            "portable={portable}: {err:?}"
        );
        assert!(
            text.contains("operation not permitted") && text.contains("b.md"),
            "portable={portable}: {text}"
        );
        assert!(
            !text.contains("directory exists"),
            "portable={portable}: {text}"
        );
        // The rollback was right all along; it still is.
        assert_eq!(snapshot(&root), before, "portable={portable}");
    }
}

/// Deploy one file into `root`; the error's kind and message, on one line.
fn deploy_and_describe(root: &Path) -> String {
    match deploy(&plan_of(root, &[("a.md", "new")]), &DeployOptions::new()) {
        Ok(_) => "ok".to_owned(),
        Err(e) => {
            let kind = match &e {
                DeployError::Io { kind, .. } => format!("{kind:?}"),
                _ => "NotIo".to_owned(),
            };
            format!("{kind} {e}").replace('\n', " ")
        }
    }
}

/// Not a test: the body of the child process of
/// `a_directory_the_user_may_not_write_says_permission_denied`.
#[test]
#[ignore = "run by a_directory_the_user_may_not_write_says_permission_denied as a child"]
fn permission_child() {
    let Ok(root) = std::env::var("STENCIL_PERMISSION_ROOT") else {
        return;
    };
    println!("RESULT {}", deploy_and_describe(Path::new(&root)));
}

#[test]
fn a_directory_the_user_may_not_write_says_permission_denied() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o555)).unwrap();
    let result = if is_root() {
        // Root ignores the mode: deploy as `nobody`, who cannot write there
        // (the temporary directory must be searchable by that user).
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "permission_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("STENCIL_PERMISSION_ROOT", &root)
            .uid(65534)
            .gid(65534)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let at = text
            .find("RESULT ")
            .unwrap_or_else(|| panic!("child said: {text}"));
        text[at + 7..].lines().next().unwrap().to_owned()
    } else {
        deploy_and_describe(&root)
    };
    assert!(result.starts_with("PermissionDenied "), "{result}");
    assert!(
        result.contains("permission denied") && result.contains(".stencil"),
        "{result}"
    );
    assert_eq!(snapshot(&root), Snapshot::default());
}
