//! Runs the built `stencil` binary in a temporary directory with its own
//! catalogue.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A scratch directory with its own catalogue file.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub catalog: PathBuf,
}

/// What one run of the binary did.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub raw_stdout: Vec<u8>,
}

impl Run {
    /// Panics with the whole run unless the exit code is `code`.
    pub fn expect_code(self, code: i32) -> Run {
        assert_eq!(
            self.code,
            Some(code),
            "expected exit code {code}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    pub fn ok(self) -> Run {
        self.expect_code(0)
    }

    /// Exit code 1 and one `error:` line on stderr containing every needle.
    pub fn fails_with(self, needles: &[&str]) -> Run {
        let run = self.expect_code(1);
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "expected one line on stderr:\n{}",
            run.stderr
        );
        assert!(lines[0].starts_with("error: "), "{}", run.stderr);
        for n in needles {
            assert!(
                run.stderr.contains(n),
                "stderr lacks {n:?}:\n{}",
                run.stderr
            );
        }
        assert!(run.stdout.is_empty(), "stdout not empty: {}", run.stdout);
        run
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", self.stdout))
    }
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().expect("temporary directory");
        let catalog = dir.path().join("catalog.db");
        Env { dir, catalog }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Runs `stencil --catalog <catalog> ARGS` in the scratch directory.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, None)
    }

    /// Runs without `--catalog` (for location tests).
    pub fn run_bare(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = base(self.dir.path());
        cmd.args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        finish(cmd, None)
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: Option<&[u8]>) -> Run {
        let mut cmd = base(self.dir.path());
        cmd.arg("--catalog").arg(&self.catalog).args(args);
        finish(cmd, stdin)
    }

    /// Writes a file (creating parents) under the scratch directory.
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(rel);
        fs::create_dir_all(path.parent().expect("parent")).expect("create parent");
        fs::write(&path, content).expect("write file");
        path
    }

    /// A small tree: `src/.claude/{skills/review/{SKILL.md,notes.md},
    /// commands/ship.md, agents/tester.md, rules/api.md}` and `src/CLAUDE.md`.
    pub fn small_tree(&self) -> PathBuf {
        self.write(
            "src/.claude/skills/review/SKILL.md",
            "---\ndescription: Review code\n---\nReview {{PROJECT_NAME}}.\n",
        );
        self.write(
            "src/.claude/skills/review/notes.md",
            "Notes for {{AUTHOR}}.\n",
        );
        self.write("src/.claude/commands/ship.md", "Ship {{PROJECT_NAME}}.\n");
        self.write("src/.claude/agents/tester.md", "Test it.\n");
        self.write(
            "src/.claude/rules/api.md",
            "# API rules of {{PROJECT_NAME}}\n",
        );
        self.write(
            "src/CLAUDE.md",
            "# {{PROJECT_NAME}}\nBy {{AUTHOR}} on {{DATE}}.\n",
        );
        self.path("src")
    }

    /// [`small_tree`](Self::small_tree) imported into collection `all`, and
    /// a template `svc` made from it.
    pub fn catalogue_with_template(&self) -> TestResult {
        self.small_tree();
        self.import_as_template_svc()
    }
}

impl Env {
    /// Imports `src/` (written beforehand, e.g. by [`Env::small_tree`])
    /// into collection `all` and makes template `svc` of every member.
    pub fn import_as_template_svc(&self) -> TestResult {
        let src = self.path("src");
        self.run(&["import", src.to_str().ok_or("path")?, "--collection", "all"])
            .ok();
        self.run(&["template", "create", "svc", "--collection", "all"])
            .ok();
        Ok(())
    }
}

fn base(cwd: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stencil"));
    cmd.current_dir(cwd)
        .env_remove("STENCIL_CATALOG")
        // Registry commands cache blobs: never in the user's cache.
        .env("STENCIL_CACHE_DIR", cwd.join(".blob-cache"))
        .env("NO_COLOR", "1");
    cmd
}

fn finish(mut cmd: Command, stdin: Option<&[u8]>) -> Run {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run stencil");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        pipe.write_all(input).expect("write stdin");
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().expect("wait for stencil");
    Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        raw_stdout: stdout,
    }
}

/// Every file under `dir` (relative, sorted), not following links;
/// stencil's state directory (deployment records and bases) left out.
pub fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let ft = e.file_type().expect("file type");
            if ft.is_dir() {
                stack.push(e.path());
            } else {
                let rel = e.path().strip_prefix(dir).expect("under dir").to_path_buf();
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    out.retain(|p| !p.starts_with(".stencil/"));
    out.sort();
    out
}
